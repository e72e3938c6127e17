"""Ledgers as written before hash format 2, made from a current one, for the tests that old events still verify."""

from __future__ import annotations

import orjson
from sqlalchemy import select, update

from commands.records import GENESIS_HASH, format_1_hash, stream_id_for
from ledger.application import Ledger


def rewrite_in_format_1(ledger: Ledger) -> None:
    """Re-hash every stored event as the ledger did before hash format 2, chains included."""
    table = ledger.store.events_table
    with ledger.store.engine.connect() as connection:
        rows = connection.execute(select(table).order_by(table.c.id)).all()
    last: dict[str, str] = {}
    for row in rows:
        state = orjson.loads(bytes(row.state))
        del state["hash"], state["hash_format"]
        customer = state["customer"]
        state["prev_hash"] = last.get(customer, GENESIS_HASH)
        stored = dict(state)
        stored["hash"] = last[customer] = format_1_hash(state, row.id, str(stream_id_for(customer)), row.originator_version)
        _execute(ledger, update(table).where(table.c.id == row.id).values(state=orjson.dumps(stored)))


def _execute(ledger: Ledger, statement) -> None:
    with ledger.store.engine.begin() as connection:
        connection.execute(statement)
