"""Rendering of the ledger's results: text tables for people, JSON lines and CSV for machines.

Any dataclass, pydantic model, mapping, or object with ``to_json_dict`` renders; its
field names are the table's column names, the CSV header and the JSON keys, so a
field added to a result simply appears. Data goes to stdout, messages to stderr.
"""

from __future__ import annotations

import contextlib
import csv
import functools
import sys
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import fields, is_dataclass
from datetime import date, datetime
from decimal import Decimal
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import orjson
from pydantic import BaseModel

from ledger import text_table
from ledger.results import StageChange

if TYPE_CHECKING:
    from tqdm import tqdm

OutputFormat = Literal["table", "json", "csv"]
OUTPUT_FORMATS: tuple[OutputFormat, ...] = ("table", "json", "csv")
# Money fields of a result, for tables: field name to its currency (a code, or the name of the row's field that holds
# the code), or None for a field mapping currency codes to amounts.
MoneyFields = Mapping[str, str | None]


def record(value: object) -> dict[str, Any]:
    """Return a result value as its fields, name to value, in declaration order."""
    if isinstance(value, Mapping):
        return dict(value)
    to_json_dict = getattr(value, "to_json_dict", None)
    if callable(to_json_dict):
        return dict(to_json_dict())
    if is_dataclass(value) and not isinstance(value, type):
        return {name: getattr(value, name) for name in _dataclass_fields(type(value))}
    if isinstance(value, BaseModel):
        return value.model_dump()
    raise TypeError(f"cannot render a {type(value).__name__}")


@functools.cache
def _dataclass_fields(row_type: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(row_type))


def _plain_dataclass(row_type: type) -> bool:
    # orjson writes these itself, field by field, as ``record`` would; a to_json_dict form goes through record.
    plain = _PLAIN_DATACLASSES.get(row_type)
    if plain is None:
        plain = _PLAIN_DATACLASSES[row_type] = is_dataclass(row_type) and not hasattr(row_type, "to_json_dict")
    return plain


_PLAIN_DATACLASSES: dict[type, bool] = {}


def field_names(row_type: type) -> list[str]:
    """Return the column names of a result type (a dataclass or a pydantic model)."""
    if is_dataclass(row_type):
        return [f.name for f in fields(row_type)]
    if issubclass(row_type, BaseModel):
        return list(row_type.model_fields)
    raise TypeError(f"cannot render a {row_type.__name__}")


# --- cells ---


def people_text(value: Any) -> str:
    """Return a value as people read it in a table: nested values spelled out, floats to one decimal, times in UTC."""
    kind = type(value)
    if kind is str:
        return text_table.moment_text(value) if text_table.looks_like_a_time(value) else text_table.visible(value)
    if value is None:
        return ""
    if kind is int or kind is bool:
        return str(value)
    if isinstance(value, StageChange):
        return f"{value.stage} ({value.day})"
    if isinstance(value, float):
        return f"{value:.1f}"
    if isinstance(value, datetime):
        return text_table.moment_text(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ", ".join(people_text(item) for item in value)
    if isinstance(value, Mapping | BaseModel) or (is_dataclass(value) and not isinstance(value, type)):
        return " ".join(f"{key}={people_text(item)}" for key, item in record(value).items())
    return text_table.visible(str(value))  # decimals, enums, and anything else printable


def _money_cell(currency: str | None) -> Callable[[Any, Mapping[str, Any]], str]:
    def cell(value: Any, row: Mapping[str, Any]) -> str:
        if currency is None and isinstance(value, Mapping):
            return ", ".join(text_table.money_text(amount, code) for code, amount in value.items())
        code = row.get(currency, currency) if currency is not None else None
        return people_text(value) if code is None else text_table.money_text(value, code)

    return cell


def _plain_cell(value: Any, _row: Mapping[str, Any]) -> str:
    return people_text(value)


def csv_text(value: Any) -> str:
    """Return a value as a CSV cell: nested values as JSON, empty for None, exact decimal text."""
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, str | int | float | Decimal):
        return str(value)
    return json_bytes(value).decode()


def _json_default(value: Any) -> Any:
    # Decimal stays decimal text: "70.00", never a float that rounds.
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    return record(value)


def json_bytes(value: Any) -> bytes:
    """Return a value as compact JSON (dataclasses, pydantic models, dates and decimals included)."""
    return orjson.dumps(value, default=_json_default)


def json_line(value: object, numbers: Collection[str] = ()) -> bytes:
    """Return one result as a line of JSON; fields named in numbers hold decimal text written as exact JSON numbers."""
    if not numbers and _plain_dataclass(type(value)):
        return orjson.dumps(value, default=_json_default, option=orjson.OPT_APPEND_NEWLINE)
    values = record(value)
    for name in numbers:
        if isinstance(values.get(name), str):
            values[name] = orjson.Fragment(values[name].encode())
    return json_bytes(values) + b"\n"


# --- writing ---


def message(text: str) -> None:
    """Print a line for people on stderr."""
    print(text, file=sys.stderr, flush=True)


def write_text(text: str) -> None:
    """Print a line of text on stdout."""
    print(text, file=sys.stdout, flush=True)


def write_bytes(chunks: Iterable[bytes]) -> None:
    """Copy bytes to stdout as they come."""
    sys.stdout.flush()
    out = sys.stdout.buffer
    for chunk in chunks:
        out.write(chunk)
    out.flush()


def write_rows(
    rows: Iterable[Any],
    output_format: OutputFormat,
    *,
    row_type: type | None = None,
    numbers: Collection[str] = (),
    money: MoneyFields | None = None,
) -> None:
    """Print rows as a text table, JSON lines or CSV with a header row.

    row_type names the CSV columns when there are no rows; numbers are the fields
    whose decimal text JSON writes as numbers (see ``json_line``); money are the
    fields a table shows with their currency (JSON and CSV keep the bare amounts).
    """
    if output_format == "json":
        write_bytes(json_line(row, numbers) for row in rows)
    elif output_format == "csv":
        _write_csv(rows, row_type)
    elif records := [record(row) for row in rows]:
        write_text(_horizontal_table(records, numbers, money or {}))
    else:
        message("(none)")


def write_one(value: object, output_format: OutputFormat, *, money: MoneyFields | None = None) -> None:
    """Print one result: a two-column table of field and value, one JSON line, or CSV with a header row."""
    if output_format == "table":
        fields = record(value)
        cells = [[name, _cell_function(name, money or {})(item, fields)] for name, item in fields.items()]
        write_text(text_table.table(["", ""], cells, [False, False], rule=False))
    else:
        write_rows([value], output_format)


def progress_bar(total: int | None, description: str, *, quiet: bool = False) -> tqdm[Any]:
    """Return a progress bar on stderr that shows only when stderr is a terminal (and not quiet)."""
    from tqdm import tqdm

    return tqdm(total=total, unit="B", unit_scale=True, desc=description, file=sys.stderr, disable=True if quiet else None)


@contextlib.contextmanager
def to_file(path: str | None) -> Iterator[None]:
    """Send what is written to stdout to a file instead (when path is given), complete or not at all.

    It is written beside the target and renamed over it at the end, so that a failed
    export never leaves a partial file an auditor might take for a whole one.
    """
    if path is None:
        yield
        return
    target = Path(path)
    partial = target.with_name(f".{target.name}.partial")
    with open(partial, "w", encoding="utf-8", newline="") as stream, contextlib.redirect_stdout(stream):
        try:
            yield
        except BaseException:
            stream.close()
            partial.unlink(missing_ok=True)
            raise
    partial.replace(target)


def _horizontal_table(records: Sequence[dict[str, Any]], numbers: Collection[str], money: MoneyFields) -> str:
    headers = list(dict.fromkeys(chain.from_iterable(records)))
    convert = [_cell_function(name, money) for name in headers]
    cells = [[to_text(row.get(name), row) for name, to_text in zip(headers, convert, strict=True)] for row in records]
    # Numbers and money right-aligned; decimal text is kept as it is (no re-parsing of "70.00" into 70).
    right = [name in numbers or name in money or _numeric_column(records, name) for name in headers]
    return text_table.table(headers, cells, right)


def _cell_function(name: str, money: MoneyFields) -> Callable[[Any, Mapping[str, Any]], str]:
    return _money_cell(money[name]) if name in money else _plain_cell


def _numeric_column(records: Sequence[dict[str, Any]], name: str) -> bool:
    values = [row.get(name) for row in records if row.get(name) is not None]
    return bool(values) and all(isinstance(v, int | float | Decimal) and not isinstance(v, bool) for v in values)


def _write_csv(rows: Iterable[Any], row_type: type | None) -> None:
    records = (record(row) for row in rows)
    first = next(records, None)
    if first is not None:
        header = list(first)
    elif row_type is not None:
        header = field_names(row_type)
    else:
        return
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(header)
    if first is not None:
        writer.writerows([csv_text(row.get(name)) for name in header] for row in chain([first], records))
    sys.stdout.flush()
