"""Exact arithmetic on the read models' stored times in SQL, on SQLite and PostgreSQL alike.

Stored times are fixed-width UTC text (``2024-05-01T09:30:00.000000Z``, see
``facts.iso``). Converting them in SQL to integer microseconds keeps their
differences exact: the same figures Python computes from ``datetime`` values,
without parsing every row in Python.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Integer, cast, func
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement


class _EpochSeconds(FunctionElement[int]):
    """Whole seconds since 1970 of a ``YYYY-MM-DDTHH:MM:SS`` text in UTC."""

    type = BigInteger()
    inherit_cache = True


@compiles(_EpochSeconds, "sqlite")
def _epoch_sqlite(element: _EpochSeconds, compiler: SQLCompiler, **kw: Any) -> str:
    return f"unixepoch({compiler.process(element.clauses, **kw)})"


@compiles(_EpochSeconds, "postgresql")
def _epoch_postgresql(element: _EpochSeconds, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(EXTRACT(EPOCH FROM CAST({compiler.process(element.clauses, **kw)} AS TIMESTAMP)) AS BIGINT)"


def epoch_micros(stored: ColumnElement[Any]) -> ColumnElement[int]:
    """Return a stored time as integer microseconds since 1970 (NULL stays NULL)."""
    return _EpochSeconds(func.substr(stored, 1, 19)) * 1_000_000 + cast(func.substr(stored, 21, 6), Integer)
