"""The dimensions: customers (a new row each export in which their details changed) and calendar days."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import orjson
import pyarrow as pa

from projections.facts import Fact

DETAIL_TYPES = frozenset({"customer_registered", "customer_updated"})
PERSONAL_DETAILS = ("name", "email", "phone", "national_id")
_CUSTOMER_COLUMNS: list[tuple[str, pa.DataType]] = [
    ("customer", pa.string()),
    ("stream_id", pa.string()),
    ("valid_from_position", pa.int64()),  # the export's position: the row holds the details as of then
    ("registered_at", pa.timestamp("us", tz="UTC")),
    ("segment", pa.string()),
    ("attributes", pa.string()),  # JSON objects, as the events carry them
    ("external_ids", pa.string()),
]
DATE_SCHEMA = pa.schema(
    [
        ("date", pa.date32()),
        ("year", pa.int16()),
        ("quarter", pa.int8()),
        ("month", pa.int8()),
        ("month_key", pa.string()),
        ("iso_year", pa.int16()),
        ("iso_week", pa.int8()),
        ("weekday", pa.int8()),  # 1 Monday .. 7 Sunday
        ("is_weekend", pa.bool_()),
    ]
)


def customer_schema(personal: bool) -> pa.Schema:
    """Return dim_customer's schema, with the personal columns if asked."""
    return pa.schema([*_CUSTOMER_COLUMNS, *((name, pa.string()) for name in PERSONAL_DETAILS if personal)])


def customer_row(customer: str, stream_id: str, position: int, details: list[Fact], personal: bool) -> dict[str, Any]:
    """Fold a customer's registration and updates (as corrected, in stream order) into one dim_customer row."""
    row: dict[str, Any] = {"customer": customer, "stream_id": stream_id, "valid_from_position": position}
    attributes: dict[str, Any] = {}
    external_ids: dict[str, Any] = {}
    for fact in details:
        data = fact.data
        if fact.type == "customer_registered" and row.get("registered_at") is None:
            row["registered_at"] = fact.occurred
        if data.get("segment") is not None:
            row["segment"] = data["segment"]
        attributes.update(data.get("attributes") or {})
        external_ids.update(data.get("external_ids") or {})
        for name in PERSONAL_DETAILS if personal else ():
            if data.get(name) is not None:
                row[name] = data[name]
    row["attributes"] = orjson.dumps(attributes, option=orjson.OPT_SORT_KEYS).decode() if attributes else None
    row["external_ids"] = orjson.dumps(external_ids, option=orjson.OPT_SORT_KEYS).decode() if external_ids else None
    return row


def customer_table(rows: list[dict[str, Any]], personal: bool) -> pa.Table:
    """Return dim_customer rows as an Arrow table."""
    table_schema = customer_schema(personal)
    columns = {name: [row.get(name) for row in rows] for name in table_schema.names}
    arrays = [
        pa.array(columns[f.name], pa.string()).cast(f.type) if f.name == "registered_at" else pa.array(columns[f.name], f.type)
        for f in table_schema
    ]
    return pa.Table.from_arrays(arrays, schema=table_schema)


def date_table(days: list[date]) -> pa.Table:
    """Return dim_date rows of these days."""
    iso = [day.isocalendar() for day in days]
    return pa.Table.from_pydict(
        {
            "date": days,
            "year": [day.year for day in days],
            "quarter": [(day.month - 1) // 3 + 1 for day in days],
            "month": [day.month for day in days],
            "month_key": [day.isoformat()[:7] for day in days],
            "iso_year": [i.year for i in iso],
            "iso_week": [i.week for i in iso],
            "weekday": [i.weekday for i in iso],
            "is_weekend": [i.weekday >= 6 for i in iso],
        },
        schema=DATE_SCHEMA,
    )


def new_days(covered: tuple[str, str] | None, seen: set[str]) -> tuple[list[date], tuple[str, str] | None]:
    """Return the days to add so that dim_date runs without gaps over every day seen, and the range covered then."""
    if not seen:
        return [], covered
    low, high = min(seen), max(seen)
    if covered is None:
        return _span(date.fromisoformat(low), date.fromisoformat(high)), (low, high)
    first, last = covered
    days = []
    if low < first:
        days += _span(date.fromisoformat(low), date.fromisoformat(first) - timedelta(days=1))
    if high > last:
        days += _span(date.fromisoformat(last) + timedelta(days=1), date.fromisoformat(high))
    return days, (min(low, first), max(high, last))


def _span(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]
