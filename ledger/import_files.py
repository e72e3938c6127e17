"""Reading import files line by line: JSON Lines and CSV, each line to a raw event or a problem with its line number.

Both formats accept a UTF-8 byte order mark (Excel writes one). A JSON line stays bytes until
validated (``commands.inputs.parse_event``), which also says why one is not JSON. A CSV file's delimiter
is read from its header line (comma, semicolon or tab, whichever it has most of) unless
given; its header must name the columns every event needs. A line that is not UTF-8
is reported with its own number and the lines around it still import. Cells are trimmed
like every text field, and a cell that is blank after trimming is absent. An empty file,
or a CSV file with a header line only, yields nothing (``ledger import`` says so).
"""

from __future__ import annotations

import csv
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any, Literal

from commands.events import EVENT_TYPES
from commands.inputs import EventInput

FileFormat = Literal["jsonl", "csv"]
ENVELOPE_COLUMNS = frozenset(EventInput.model_fields) - {"data"}
REQUIRED_COLUMNS = ("type", "customer", "occurred_at")  # an import needs the business time of each event
DELIMITERS = (",", ";", "\t")
BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True, slots=True)
class Line:
    """One line of an import file: its raw event (a CSV row's) or its bytes (a JSON line's), or why it cannot be one."""

    number: int
    raw: dict[str, Any] | None
    problem: str | None = None
    text: bytes | None = None


def detect_format(name: str) -> FileFormat:
    """Guess the format from a file name (``-`` and unknown endings mean JSON Lines)."""
    return "csv" if name.lower().endswith(".csv") else "jsonl"


def read_jsonl(source: IO[bytes]) -> Iterator[Line]:
    """Yield each non-blank line of a JSON Lines file as its bytes, validated later in one pass (``parse_event``)."""
    for number, raw_line in enumerate(source, start=1):
        if number == 1 and raw_line.startswith(BOM):
            raw_line = raw_line[len(BOM) :]
        if raw_line.strip():
            yield Line(number, None, text=raw_line)


def read_csv(source: IO[bytes], csv_type: str | None, delimiter: str | None = None) -> Iterator[Line]:
    """Yield each row of a CSV file with a header line as a raw event or a problem."""
    undecodable: list[int] = []
    lines = _decoded_lines(source, undecodable)
    header = next(lines, None)
    if header is None or not header.strip():
        return  # an empty file: nothing to import, as the counts say
    chosen = delimiter or max(DELIMITERS, key=header.count)
    reader = csv.DictReader(itertools.chain([header], lines), delimiter=chosen)
    try:
        columns = [name.strip() for name in reader.fieldnames or []]
        missing = [c for c in REQUIRED_COLUMNS if c not in columns and not (c == "type" and csv_type is not None)]
        if missing:
            yield Line(1, None, _missing_columns(missing, columns, chosen))
            return
        for row in reader:
            yield from _undecodable_before(undecodable, reader.line_num)
            yield Line(reader.line_num, _csv_row_to_event(row, csv_type))
        yield from _undecodable_before(undecodable, reader.line_num + 1)
    except csv.Error as error:
        yield Line(reader.line_num, None, f"malformed CSV: {error}")


def _decoded_lines(source: IO[bytes], undecodable: list[int]) -> Iterator[str]:
    """Yield each line as text; a line that is not UTF-8 is noted and yielded blank, which the reader skips."""
    for number, raw_line in enumerate(source, start=1):
        if number == 1 and raw_line.startswith(BOM):
            raw_line = raw_line[len(BOM) :]
        try:
            yield raw_line.decode("utf-8")
        except UnicodeDecodeError:
            undecodable.append(number)
            yield "\n"


def _undecodable_before(undecodable: list[int], line_number: int) -> Iterator[Line]:
    while undecodable and undecodable[0] < line_number:
        yield Line(undecodable.pop(0), None, "not valid UTF-8 (is it CP1252 or Latin-1? save it as UTF-8)")


def _missing_columns(missing: list[str], found: list[str], delimiter: str) -> str:
    shown = ", ".join(repr(name) for name in found[:20]) + (", ..." if len(found) > 20 else "")
    hint = f"; name the type with --type ({', '.join(EVENT_TYPES)})" if "type" in missing else ""
    return (
        f"header: no {' or '.join(repr(name) + ' column' for name in missing)}{hint}"
        f" (columns found with delimiter {delimiter!r}: {shown}; pass --delimiter if that is wrong)"
    )


def _csv_row_to_event(row: dict[str | None, Any], csv_type: str | None) -> dict[str, Any]:
    event: dict[str, Any] = {"data": {}}
    if csv_type is not None:
        event["type"] = csv_type
    for column, value in row.items():
        if column is None:  # more cells than header columns
            event["data"]["<extra cells>"] = value
            continue
        if value is None or not value.strip():
            continue
        value = value.strip()
        name = column.strip()
        if name in ENVELOPE_COLUMNS and not (name == "type" and csv_type is not None and value == csv_type):
            event[name] = value
            continue
        name = name.removeprefix("data.")
        target = event["data"]
        # Dotted names fill mappings: attributes.tier=gold -> {"attributes": {"tier": "gold"}}.
        *parents, leaf = (part.strip() for part in name.split("."))
        for parent in parents:
            target = target.setdefault(parent, {})
            if not isinstance(target, dict):  # both "a" and "a.b" columns: validation names the clash
                event["data"][name] = value
                break
        else:
            target[leaf] = value
    return event
