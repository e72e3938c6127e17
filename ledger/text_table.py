"""Text for people: times and money in one form each; tables aligned by display width, cut to the terminal's width.

Cells are measured in terminal columns (``wcwidth``), so that CJK text and emoji,
which take two columns each, stay aligned. Control characters in values are shown
escaped: an event's text never moves the cursor or restyles the terminal.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from types import ModuleType
from typing import Any

from commands.currencies import MINOR_UNITS

ELLIPSIS = "…"
GAP = "  "
# How far columns are cut when the terminal is too narrow for a table (see ``fit``).
SHORT = 24
NARROWEST = 6
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def visible(text: str) -> str:
    """Return text with control characters (newlines, escape sequences) written as escapes."""
    if _CONTROL.search(text) is None:
        return text
    return _CONTROL.sub(lambda found: repr(found.group())[1:-1], text)


def moment_text(moment: datetime | str) -> str:
    """Return a date and time as people read it, in one format in UTC: 2024-05-01 09:30:00 UTC."""
    if isinstance(moment, str):
        text = moment
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return visible(text)
    # Times are stored in UTC; one without a zone is one of those.
    in_utc = moment.astimezone(UTC) if moment.tzinfo else moment
    return f"{in_utc:%Y-%m-%d %H:%M:%S} UTC"


def money_text(amount: Any, currency: str) -> str:
    """Return an amount with its currency, to the currency's minor units (1234 JPY, 19.90 EUR)."""
    if amount is None or amount == "":
        return ""
    try:
        exact = Decimal(amount)
    except (InvalidOperation, TypeError, ValueError):
        return f"{visible(str(amount))} {currency}"
    if currency in MINOR_UNITS and exact.is_finite():
        exact = exact.quantize(Decimal(1).scaleb(-MINOR_UNITS[currency]))
    return f"{exact:f} {currency}"


def looks_like_a_time(text: str) -> bool:
    # ISO 8601 date and time (2024-05-01T09:30...): checked by position, since every text cell passes here.
    return len(text) >= 16 and text[10] in "T " and text[4] == "-" and text[13] == ":" and text[:4].isdigit()


def cell_width(text: str) -> int:
    """Return the number of terminal columns text takes."""
    return len(text) if text.isascii() else _wcwidth().width(text)


@cache
def _wcwidth() -> ModuleType:
    # Imported on the first text that is not ASCII: it takes longer to import than a table of ASCII takes to print.
    import wcwidth

    return wcwidth


def cut(text: str, width: int) -> str:
    """Return text cut to at most width columns, ending with an ellipsis when anything was cut."""
    if cell_width(text) <= width:
        return text
    if text.isascii():
        return text[: width - 1] + ELLIPSIS
    clipped = _wcwidth().clip(text, 0, width - 1, fillchar="", control_codes="ignore")
    return clipped + ELLIPSIS


def terminal_width() -> int | None:
    """Return the columns to fit tables into: $COLUMNS, else the terminal's width; None when stdout is no terminal."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    try:
        return os.get_terminal_size(sys.stdout.fileno()).columns if sys.stdout.isatty() else None
    except (OSError, ValueError, AttributeError):
        return None


def fit(widths: list[int], headers: list[int], limit: int | None) -> list[int]:
    """Return column widths that fit in limit columns with their gaps, narrowing the widest columns first.

    Long columns (wider than SHORT) give way first, down to SHORT and then to NARROWEST, so
    that times and identifiers stay whole; only then are short ones cut, to NARROWEST.
    No column is cut narrower than its header.
    """
    if limit is None:
        return widths
    fitted = list(widths)
    excess = sum(fitted) + len(GAP) * (len(fitted) - 1) - limit
    for least, longest_only in ((SHORT, True), (NARROWEST, True), (NARROWEST, False)):
        floors = [
            width if longest_only and width <= SHORT else min(width, max(least, header))
            for width, header in zip(widths, headers, strict=True)
        ]
        while excess > 0:
            cuttable = [i for i, width in enumerate(fitted) if width > floors[i]]
            if not cuttable:
                break
            widest = max(cuttable, key=fitted.__getitem__)
            fitted[widest] -= 1
            excess -= 1
    return fitted


def pad(text: str, width: int, right: bool) -> str:
    """Return text padded with spaces to width columns, on the left for right-aligned columns."""
    room = width - cell_width(text)
    if room <= 0:
        return text
    return " " * room + text if right else text + " " * room


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[bool], *, rule: bool = True) -> str:
    """Return a table of text cells: headers, a rule of dashes under them, one line per row."""
    count = len(headers)
    widths = [cell_width(header) for header in headers]
    for row in rows:
        for i in range(count):
            cell = row[i]
            length = len(cell) if cell.isascii() else cell_width(cell)
            if length > widths[i]:
                widths[i] = length
    fitted = fit(widths, [cell_width(header) for header in headers], terminal_width())
    lines = [_line(headers, fitted, [False] * count, widths)] if any(headers) else []
    if rule and lines:
        lines.append(GAP.join("-" * width for width in fitted))
    lines.extend(_line(row, fitted, right, widths) for row in rows)
    return "\n".join(line.rstrip() for line in lines)


def _line(cells: Sequence[str], fitted: list[int], right: Sequence[bool], natural: list[int]) -> str:
    parts = []
    for i, cell in enumerate(cells):
        width = fitted[i]
        if width < natural[i]:
            cell = cut(cell, width)
        if cell.isascii():
            parts.append(cell.rjust(width) if right[i] else cell.ljust(width))
        else:
            parts.append(pad(cell, width, right[i]))
    return GAP.join(parts)
