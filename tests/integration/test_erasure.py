"""Erasure by crypto-shredding: the key goes, a receipt is appended, figures and verify stay, no PII bytes remain."""

from __future__ import annotations

import base64
import sqlite3
import uuid
from contextlib import closing
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from commands.errors import CustomerNotFoundError, RuleViolationError
from commands.records import stream_id_for
from ledger import Ledger
from ledger.config import LedgerConfig
from ledger.privacy.cipher import new_key
from ledger.privacy.errors import AlreadyErasedError
from ledger.privacy.master_key import KEY_ENV
from ledger.storage.side_tables import data_keys_table


@pytest.fixture
def secured(db_url, monkeypatch):
    monkeypatch.setenv(KEY_ENV, base64.b64encode(new_key()).decode())
    with Ledger(db_url, config=LedgerConfig()) as opened:
        yield opened


def write_customer(ledger: Ledger, customer: str, marker: str) -> None:
    details = {"name": f"Name {marker}", "email": f"{marker}@example.com", "segment": "retail"}
    ledger.append("customer_registered", customer, details, occurred_at="2024-01-01", event_id=f"{customer}-R")
    ledger.append("contact", customer, {"channel": "chat", "note": f"note {marker}"}, occurred_at="2024-01-02")
    ledger.append("purchase", customer, {"order_id": f"{customer}-O", "amount": "40.00"}, occurred_at="2024-01-03")
    ledger.append("survey_answered", customer, {"survey_id": f"{customer}-S", "kind": "nps", "score": 3, "comment": marker})


def test_erasure_shreds_personal_fields_and_keeps_figures_and_the_chain(secured: Ledger):
    write_customer(secured, "C-1", "Zerased")
    write_customer(secured, "C-2", "Zkept")
    before = secured.profile("C-1", as_of="2024-06-30")
    receipt = secured.erase("C-1", "GDPR Art. 17 request 118", actor="dpo")
    assert receipt.key_destroyed and receipt.clear_events == [] and receipt.erased_through == 4
    assert receipt.fields == [
        "contact.note",
        "customer_registered.email",
        "customer_registered.name",
        "survey_answered.comment",
    ]
    timeline = secured.timeline("C-1", personal=True)
    erased = timeline[-1]
    assert (erased.type, erased.actor, erased.position) == ("customer_erased", "dpo", receipt.position)
    assert erased.data.reason == "GDPR Art. 17 request 118"
    assert (timeline[0].data.name, timeline[0].data.email, timeline[1].data.note) == ("[erased]",) * 3
    assert timeline[0].data.segment == "retail" and str(timeline[2].data.amount) == "40.00"
    assert timeline[3].data.score == 3 and timeline[3].data.comment == "[erased]"
    assert replace(secured.profile("C-1", as_of="2024-06-30"), behind=0) == replace(before, behind=0)
    assert secured.verify().events == 9
    assert secured.timeline("C-2", personal=True)[0].data.email == "Zkept@example.com"
    with secured.store.engine.connect() as connection:
        rows = {r.wrapped is None for r in connection.execute(data_keys_table.select())}
    assert rows == {True, False}


def test_after_erasure_personal_data_is_refused_and_figures_are_accepted(secured: Ledger):
    write_customer(secured, "C-1", "Zerased")
    secured.erase("C-1", "request")
    with pytest.raises(RuleViolationError, match="was erased: personal data is refused"):
        secured.append("contact", "C-1", {"channel": "web", "note": "new note"})
    result = secured.append_many(
        [
            {"type": "customer_updated", "customer": "C-1", "data": {"email": "back@example.com"}},
            {"type": "purchase", "customer": "C-1", "data": {"order_id": "O-9", "amount": "3.00"}},
        ]
    )
    assert [e.type for e in result.stored] == ["purchase"] and len(result.rejected) == 1
    with pytest.raises(AlreadyErasedError):
        secured.erase("C-1", "again")
    with pytest.raises(CustomerNotFoundError):
        secured.erase("C-404", "nobody")


def test_erasing_a_customer_stored_in_clear_lists_the_events_that_stay_in_clear(ledger: Ledger, db_url, monkeypatch):
    ledger.append("customer_registered", "OLD", {"email": "old@example.com"}, occurred_at="2023-01-01")
    ledger.append("purchase", "OLD", {"order_id": "O-1", "amount": "9.00"}, occurred_at="2023-01-02")
    monkeypatch.setenv(KEY_ENV, base64.b64encode(new_key()).decode())
    with Ledger(db_url, config=LedgerConfig()) as secured:  # encryption configured later: new events only
        secured.append("contact", "OLD", {"channel": "web", "note": "encrypted note"}, occurred_at="2023-02-01")
        assert [
            getattr(e.data, "email", None) or e.data.note for e in secured.timeline("OLD", personal=True) if e.type != "purchase"
        ] == [
            "old@example.com",
            "encrypted note",
        ]
        receipt = secured.erase("OLD", "request")
        assert receipt.clear_events == [1] and receipt.key_destroyed
        shown = secured.timeline("OLD", personal=True)
        assert (shown[0].data.email, shown[2].data.note) == ("[erased]", "[erased]")  # hidden on reads, in clear in the log
        assert secured.verify().events == 4


def _sqlite_files(url: str) -> list[Path]:
    database = Path(make_url(url).database or "")
    return [p for p in database.parent.iterdir() if p.name.startswith(database.name)]


def _postgres_files(url: str) -> list[Path]:
    engine = create_engine(url)
    with engine.connect() as connection:
        root = Path(connection.execute(text("SHOW data_directory")).scalar_one())
        relations = connection.execute(
            text(
                "SELECT pg_relation_filepath(c.oid) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE n.nspname = current_schema() AND pg_relation_filepath(c.oid) IS NOT NULL"
            )
        ).scalars()
        paths = [root / path for path in relations]
    engine.dispose()
    files = [f for path in paths for f in path.parent.glob(path.name + "*")]
    return files + [f for f in (root / "pg_wal").iterdir() if f.is_file()]


def test_no_byte_of_an_erased_customers_personal_data_is_left_in_the_files(secured: Ledger, db_url):
    marker = f"Zpii{uuid.uuid4().hex[:10]}"
    write_customer(secured, "C-1", marker)
    write_customer(secured, "C-2", "Zother")
    secured.correct("C-1-R", {"email": f"new-{marker}@example.com"}, reason=f"typo {marker}")
    stream_id = stream_id_for("C-1")
    with secured.store.engine.connect() as connection:
        wrapped = bytes(
            connection.execute(select(data_keys_table.c.wrapped).where(data_keys_table.c.stream_id == stream_id)).scalar_one()
        )
    secured.erase("C-1", "request")
    if secured.store.is_postgres:
        engine = create_engine(db_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            for table in (secured.store.events_table.name, data_keys_table.name):
                connection.execute(text(f"VACUUM FULL {table}"))
            connection.execute(text("CHECKPOINT"))
        engine.dispose()
        files = _postgres_files(db_url)
    else:
        secured.store.engine.dispose()
        with closing(sqlite3.connect(make_url(db_url).database, isolation_level=None)) as connection:
            connection.execute("VACUUM")
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        files = _sqlite_files(db_url)
    assert files
    for path in files:
        content = path.read_bytes()
        assert marker.encode() not in content, path
        # The destroyed key's bytes too, on SQLite. PostgreSQL keeps a dead row version while any older transaction
        # of the server is open (other sessions' included), and its WAL until recycled: see docs/privacy.md.
        if not secured.store.is_postgres:
            assert wrapped not in content, path
    assert secured.timeline("C-2", personal=True)[0].data.email == "Zother@example.com"
    assert secured.timeline("C-1", personal=True)[0].data.email == "[erased]"
