"""What identifiers cost the write path: every event naming its customer by an identifier, against by key.

The import creates each customer from its first line's identifier (``--on-unknown create``),
so it pays for the blind index, the holders lookup and a link per customer; the appends
resolve an identifier linked beforehand on every event.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import orjson

from bench.context import RunContext, read_events
from bench.measure import Measurement, check, rate
from ledger.application import Ledger
from ledger.config import LedgerConfig


def _identified(event: dict[str, Any]) -> dict[str, Any]:
    return {**event, "customer": {"loyalty_card": f"LC-{event['customer']}"}}


def import_identified(context: RunContext) -> Measurement:
    """Import the growth file with each line's customer given as a loyalty card nobody holds yet (created)."""
    assert context.growth_file is not None
    identified = Path(context.workdir) / "growth-identified.jsonl"
    with open(context.growth_file, "rb") as source, open(identified, "wb") as target:
        for line in source:
            target.write(orjson.dumps(_identified(orjson.loads(line))) + b"\n")
    with context.fresh_database() as url, Ledger(url, config=LedgerConfig()) as ledger, ledger.resolving("create"):
        started = time.perf_counter()
        summary = ledger.import_file(identified)
        seconds = time.perf_counter() - started
    check(summary.rejected == 0, f"{summary.rejected} lines rejected: {summary.problems[:1]}")
    check(summary.stored > context.growth_events, f"stored {summary.stored}: no links made")
    return rate(context.growth_events, seconds)


def append_identified(context: RunContext) -> Measurement:
    """Append events one ``Ledger.append`` call each, as ``append_one_by_one`` does, each naming its customer by identifier."""
    size = context.size
    events = read_events(context.events_file, context.count(sqlite=size.single_appends, postgres=size.postgres_single_appends))
    with context.fresh_database() as url, Ledger(url, config=LedgerConfig()) as ledger:
        links = [
            {"type": "identifier_linked", "customer": c, "data": {"kind": "loyalty_card", "value": f"LC-{c}"}}
            for c in sorted({e["customer"] for e in events})
        ]
        ledger.append_many(links, strict=True)
        started = time.perf_counter()
        for event in events:
            receipt = ledger.append(
                event["type"],
                _identified(event)["customer"],
                event["data"],
                occurred_at=event["occurred_at"],
                event_id=event["event_id"],
                source=event["source"],
            )
            check(not receipt.duplicate, f"{event['event_id']} was already stored")
        seconds = time.perf_counter() - started
    return rate(len(events), seconds)
