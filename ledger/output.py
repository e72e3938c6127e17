"""Rendering of the ledger's results: text tables for people, JSON lines and CSV for machines.

Any dataclass, pydantic model, mapping, or object with ``to_json_dict`` renders; its
field names are the table's column names, the CSV header and the JSON keys, so a
field added to a result simply appears. Data goes to stdout, messages to stderr.
"""

from __future__ import annotations

import contextlib
import csv
import sys
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import fields, is_dataclass
from datetime import date, datetime
from decimal import Decimal
from itertools import chain
from pathlib import Path
from typing import Any, Literal

import orjson
from pydantic import BaseModel
from tabulate import tabulate
from tqdm import tqdm

from ledger.results import StageChange

OutputFormat = Literal["table", "json", "csv"]
OUTPUT_FORMATS: tuple[OutputFormat, ...] = ("table", "json", "csv")


def record(value: object) -> dict[str, Any]:
    """Return a result value as its fields, name to value, in declaration order."""
    if isinstance(value, Mapping):
        return dict(value)
    to_json_dict = getattr(value, "to_json_dict", None)
    if callable(to_json_dict):
        return dict(to_json_dict())
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in fields(value)}
    if isinstance(value, BaseModel):
        return value.model_dump()
    raise TypeError(f"cannot render a {type(value).__name__}")


def field_names(row_type: type) -> list[str]:
    """Return the column names of a result type (a dataclass or a pydantic model)."""
    if is_dataclass(row_type):
        return [f.name for f in fields(row_type)]
    if issubclass(row_type, BaseModel):
        return list(row_type.model_fields)
    raise TypeError(f"cannot render a {row_type.__name__}")


# --- cells ---


def people_text(value: Any) -> str:
    """Return a value as people read it in a table: nested values spelled out, floats to one decimal."""
    if value is None:
        return ""
    if isinstance(value, StageChange):
        return f"{value.stage} ({value.day})"
    if isinstance(value, float):
        return f"{value:.1f}"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ", ".join(people_text(item) for item in value)
    if isinstance(value, Mapping | BaseModel) or (is_dataclass(value) and not isinstance(value, type)):
        return " ".join(f"{key}={people_text(item)}" for key, item in record(value).items())
    return str(value)  # text, decimals, ints, True / False, and anything else printable


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
) -> None:
    """Print rows as a text table, JSON lines or CSV with a header row.

    row_type names the CSV columns when there are no rows; numbers are the fields
    whose decimal text JSON writes as numbers (see ``json_line``).
    """
    if output_format == "json":
        write_bytes(json_line(row, numbers) for row in rows)
    elif output_format == "csv":
        _write_csv(rows, row_type)
    elif records := [record(row) for row in rows]:
        write_text(_horizontal_table(records, numbers))
    else:
        message("(none)")


def write_one(value: object, output_format: OutputFormat) -> None:
    """Print one result: a two-column table of field and value, one JSON line, or CSV with a header row."""
    if output_format == "table":
        cells = [[name, people_text(item)] for name, item in record(value).items()]
        write_text(tabulate(cells, tablefmt="plain", disable_numparse=True))
    else:
        write_rows([value], output_format)


def progress_bar(total: int | None, description: str, *, quiet: bool = False) -> tqdm[Any]:
    """Return a progress bar on stderr that shows only when stderr is a terminal (and not quiet)."""
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


def _horizontal_table(records: Sequence[dict[str, Any]], numbers: Collection[str]) -> str:
    headers = list(dict.fromkeys(name for row in records for name in row))
    cells = [[people_text(row.get(name)) for name in headers] for row in records]
    # Numbers right-aligned; decimal text is kept as it is (no re-parsing of "70.00" into 70).
    align = ["right" if name in numbers or _numeric_column(records, name) else "left" for name in headers]
    return tabulate(cells, headers=headers, tablefmt="simple", disable_numparse=True, colalign=align)


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
