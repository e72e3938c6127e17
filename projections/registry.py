"""The projections there are, and the tables of each generation."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import MetaData, Table

from commands.errors import UnknownProjectionError
from projections import complaints, profiles, satisfaction
from projections.facts import Fact

RowsFunction = Callable[[str, list[Fact]], dict[str, list[dict[str, Any]]]]


@dataclass(frozen=True, slots=True)
class Projection:
    """A read model: its name, code version, tables and the function from a customer's facts to its rows."""

    name: str
    version: int
    define_tables: Callable[[MetaData, str], dict[str, Table]]
    rows: RowsFunction


PROJECTIONS: dict[str, Projection] = {
    module.NAME: Projection(module.NAME, module.VERSION, module.define_tables, module.rows)
    for module in (profiles, complaints, satisfaction)
}


def get_projections(names: list[str] | tuple[str, ...] | None = None) -> list[Projection]:
    """Return the named projections (all when no names), or raise for an unknown name."""
    if not names:
        return list(PROJECTIONS.values())
    for name in names:
        if name not in PROJECTIONS:
            raise UnknownProjectionError(name, list(PROJECTIONS))
    return [PROJECTIONS[name] for name in dict.fromkeys(names)]


def table_prefix(name: str, generation: int) -> str:
    """Return the name prefix of one generation's tables, e.g. ``lp_profiles_g3_``."""
    return f"lp_{name}_g{generation}_"


@lru_cache(maxsize=64)
def tables_for(name: str, generation: int) -> dict[str, Table]:
    """Return the tables of one generation of a projection."""
    return PROJECTIONS[name].define_tables(MetaData(), table_prefix(name, generation))
