"""The star schema: each table's columns, and the rows one event contributes to the fact tables.

Fact rows are append-only: an event gives one row with ``sign`` 1; a later void or
correction of it gives a reversal row (``sign`` -1, the figures as they stood) and, for a
correction, a row with the corrected figures. ``SUM(amount)`` and ``SUM(sign)`` therefore
give the ledger's own totals and counts whatever was corrected (docs/warehouse.md).
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from commands.currencies import MINOR_UNITS
from projections.facts import Fact

# Every currency's amounts fit one decimal type: 18 digits as the catalogue allows, at the finest minor unit.
AMOUNT_SCALE = max(MINOR_UNITS.values())
AMOUNT = pa.decimal128(18 + AMOUNT_SCALE, AMOUNT_SCALE)
TIME = pa.timestamp("us", tz="UTC")

_COMMON: list[tuple[str, pa.DataType]] = [
    ("position", pa.int64()),  # the log position of the event the row describes
    ("recorded_position", pa.int64()),  # the log position that wrote the row: the event itself, or its void or correction
    ("sign", pa.int8()),
    ("event_id", pa.string()),
    ("customer", pa.string()),
    ("occurred_at", TIME),
    ("date", pa.date32()),
]
COLUMNS: dict[str, list[tuple[str, pa.DataType]]] = {
    "fact_purchases": [
        *_COMMON,
        ("kind", pa.string()),
        ("order_id", pa.string()),
        ("currency", pa.string()),
        ("amount", AMOUNT),
        ("quantity", pa.int64()),
        ("sku", pa.string()),
        ("category", pa.string()),
        ("channel", pa.string()),
    ],
    "fact_contacts": [
        *_COMMON,
        ("channel", pa.string()),
        ("direction", pa.string()),
        ("topic", pa.string()),
        ("agent", pa.string()),
        ("duration_s", pa.int64()),
    ],
    "fact_complaints": [
        *_COMMON,
        ("complaint_id", pa.string()),
        ("step", pa.string()),
        ("severity", pa.string()),
        ("channel", pa.string()),
        ("category", pa.string()),
        ("responder", pa.string()),
    ],
    "fact_surveys": [
        *_COMMON,
        ("survey_id", pa.string()),
        ("kind", pa.string()),
        ("score", pa.int64()),
        ("expectation", pa.int64()),
        ("perceived_quality", pa.int64()),
        ("perceived_value", pa.int64()),
        ("channel", pa.string()),
        ("about", pa.string()),
    ],
}
FACT_TABLES = tuple(COLUMNS)
# Personal columns, only in a warehouse exported with personal data: table -> column -> the event fields it holds.
PERSONAL: dict[str, dict[str, tuple[str, ...]]] = {
    "fact_purchases": {"reason": ("reason",)},
    "fact_contacts": {"note": ("note",)},
    "fact_complaints": {"text": ("description", "message", "resolution", "reason")},
    "fact_surveys": {"comment": ("comment",)},
}
_COMPLAINT_STEPS = {
    "complaint_filed": "filed",
    "complaint_responded": "responded",
    "complaint_resolved": "resolved",
    "complaint_reopened": "reopened",
}
TABLE_OF_TYPE = {
    "purchase": "fact_purchases",
    "refund": "fact_purchases",
    "contact": "fact_contacts",
    "survey_answered": "fact_surveys",
    **dict.fromkeys(_COMPLAINT_STEPS, "fact_complaints"),
}


def schema(table: str, personal: bool) -> pa.Schema:
    """Return a fact table's schema (with its personal columns, if asked), the month partition column last."""
    extra = [(name, pa.string()) for name in PERSONAL[table]] if personal else []
    return pa.schema([*COLUMNS[table], *extra, ("month", pa.string())])


def fact_values(
    customer: str,
    event_type: str,
    event_id: str,
    position: int,
    occurred: str,
    data: dict[str, Any],
    recorded_position: int,
    sign: int,
) -> dict[str, Any]:
    """Return the row an event of a fact type contributes to its table (times as UTC text, amount as signed text)."""
    row = dict(data)  # the event's own fields are most of the columns; the rest are set here
    row["position"] = position
    row["recorded_position"] = recorded_position
    row["sign"] = sign
    row["event_id"] = event_id
    row["customer"] = customer
    row["occurred_at"] = occurred
    row["month"] = occurred[:7]
    table = TABLE_OF_TYPE[event_type]
    if table == "fact_purchases":
        row["kind"] = event_type
        # A refund takes money back: negative, so that SUM(amount) is the net spend.
        negative = (sign < 0) != (event_type == "refund")
        amount = str(data["amount"])
        row["amount"] = f"-{amount}" if negative else amount
    elif table == "fact_complaints":
        row["step"] = _COMPLAINT_STEPS[event_type]
    for column, fields in PERSONAL[table].items():
        row[column] = next((data[f] for f in fields if data.get(f) is not None), None)
    return row


def row_of(customer: str, fact: Fact, recorded_position: int, sign: int) -> dict[str, Any]:
    """Return the row of a decoded event of a fact type."""
    return fact_values(customer, fact.type, fact.event_id, fact.position, fact.occurred, fact.data, recorded_position, sign)


class Columns:
    """The rows of one table, turned into an Arrow table at the end (pyarrow converts the dicts in one call)."""

    def __init__(self, table: str, personal: bool):
        self.schema = schema(table, personal)
        # Times, dates and amounts arrive as text and are cast in one go.
        self.staging = pa.schema(
            [pa.field(f.name, pa.string() if f.type in (TIME, AMOUNT, pa.date32()) else f.type) for f in self.schema]
        )
        self.rows: list[dict[str, Any]] = []

    def __len__(self) -> int:
        return len(self.rows)

    def add(self, row: dict[str, Any]) -> None:
        """Append one row (missing columns are null)."""
        self.rows.append(row)

    def days(self) -> set[str]:
        """Return the days (UTC) the rows' events occurred on."""
        return {row["occurred_at"][:10] for row in self.rows}

    def arrow(self) -> pa.Table:
        """Return the rows as an Arrow table of the schema."""
        staged = pa.Table.from_pylist(self.rows, schema=self.staging)
        occurred = staged.column("occurred_at")
        arrays = []
        for field in self.schema:
            if field.name == "date":
                arrays.append(pc.utf8_slice_codeunits(occurred, 0, 10).cast(pa.date32()))
            elif field.type in (TIME, AMOUNT):
                arrays.append(staged.column(field.name).cast(field.type))
            else:
                arrays.append(staged.column(field.name))
        return pa.Table.from_arrays(arrays, schema=self.schema)
