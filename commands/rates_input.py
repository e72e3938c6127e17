"""Parse exchange-rate files: long CSV or JSON (date, currency, rate) and the ECB reference-rate CSV as is.

The ECB layout has a ``Date`` column and one column per currency (units per euro),
``N/A`` where a currency has no rate that day, and often a trailing empty column.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from commands.currencies import MINOR_UNITS
from commands.errors import LedgerError

Rate = tuple[str, str, Decimal]  # (ISO day, currency, units per base-currency unit)


class RatesFileError(LedgerError):
    """An exchange-rate file could not be read; nothing of it is stored."""


def parse_rates(text: str, name: str = "rates") -> list[Rate]:
    """Return the rates of a file's text: JSON (a list of objects, or one per line) or CSV (long or ECB layout)."""
    stripped = text.lstrip("\ufeff").strip()
    if not stripped:
        raise RatesFileError(f"{name}: no rates")
    if stripped[0] in "[{":
        return _json_rates(stripped, name)
    rows = list(csv.reader(io.StringIO(stripped)))
    header = [column.strip() for column in rows[0]]
    lowered = [column.lower() for column in header]
    if {"date", "currency", "rate"} <= set(lowered):
        at = {column: lowered.index(column) for column in ("date", "currency", "rate")}
        return [
            _rate(row[at["date"]], row[at["currency"]], row[at["rate"]], f"{name}:{line}")
            for line, row in enumerate(rows[1:], start=2)
            if any(cell.strip() for cell in row)
        ]
    if lowered[0] != "date":
        raise RatesFileError(f"{name}: expected a date, currency, rate header or the ECB layout (Date, then currencies)")
    found: list[Rate] = []
    for line, row in enumerate(rows[1:], start=2):
        for currency, cell in zip(header[1:], row[1:], strict=False):
            if currency and cell.strip() and cell.strip().upper() != "N/A":
                found.append(_rate(row[0], currency, cell, f"{name}:{line}"))
    return found


def _json_rates(text: str, name: str) -> list[Rate]:
    try:
        items: Any = json.loads(text) if text[0] == "[" else [json.loads(line) for line in text.splitlines() if line.strip()]
    except json.JSONDecodeError as error:
        raise RatesFileError(f"{name}: not valid JSON: {error}") from None
    found = []
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict) or not {"date", "currency", "rate"} <= item.keys():
            raise RatesFileError(f"{name}: item {number}: expected an object with date, currency and rate")
        found.append(_rate(str(item["date"]), str(item["currency"]), str(item["rate"]), f"{name}: item {number}"))
    return found


def _rate(day: str, currency: str, rate: str, where: str) -> Rate:
    """Validate one rate: an ISO date, a known currency code, a positive decimal."""
    code = currency.strip().upper()
    if code not in MINOR_UNITS:
        raise RatesFileError(f"{where}: unknown currency {currency.strip()!r}")
    try:
        on = date.fromisoformat(day.strip()).isoformat()
        value = Decimal(rate.strip())
    except ValueError:
        raise RatesFileError(f"{where}: expected an ISO date, got {day.strip()!r}") from None
    except InvalidOperation:
        raise RatesFileError(f"{where}: expected a decimal rate, got {rate.strip()!r}") from None
    if not value.is_finite() or value <= 0:
        raise RatesFileError(f"{where}: a rate must be positive, got {rate.strip()!r}")
    return on, code, value
