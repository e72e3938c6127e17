"""Personal fields are stored encrypted with the customer's key, the hash chain covers the ciphertext, reads mask by default."""

from __future__ import annotations

import base64
import logging

import orjson
import pytest

from ledger import Ledger
from ledger.config import LedgerConfig
from ledger.privacy import keyring
from ledger.privacy.cipher import is_sealed, new_key
from ledger.privacy.errors import MasterKeyError
from ledger.privacy.master_key import KEY_ENV
from ledger.storage.side_tables import data_keys_table

PII = {"name": "Ana Li", "email": "ana.li@example.com", "phone": "+86 10 1234 5678", "national_id": "110101199003077777"}


def master_key_text() -> str:
    return base64.b64encode(new_key()).decode()


@pytest.fixture
def secured(db_url, monkeypatch):
    monkeypatch.setenv(KEY_ENV, master_key_text())
    with Ledger(db_url, config=LedgerConfig()) as opened:
        yield opened


def stored_states(ledger: Ledger) -> list[dict]:
    events = ledger.store.events_table
    with ledger.store.engine.connect() as connection:
        return [orjson.loads(bytes(row.state)) for row in connection.execute(events.select().order_by(events.c.id))]


def fill(ledger: Ledger, customer: str = "C-1") -> None:
    ledger.append("customer_registered", customer, {**PII, "segment": "retail"}, occurred_at="2024-01-01", event_id="R-1")
    ledger.append("contact", customer, {"channel": "phone", "note": "asked about Ana's order"}, occurred_at="2024-01-02")
    ledger.append("purchase", customer, {"order_id": "O-1", "amount": "25.00"}, occurred_at="2024-01-03")
    ledger.append("survey_answered", customer, {"survey_id": "S-1", "kind": "nps", "score": 9, "comment": "Ana liked it"})
    ledger.append(
        "complaint_filed", customer, {"complaint_id": "K-1", "severity": "high", "description": "Ana's parcel was late"}
    )


def test_personal_fields_are_stored_encrypted_and_analytics_fields_in_clear(secured: Ledger):
    fill(secured)
    states = stored_states(secured)
    raw = b"".join(orjson.dumps(state) for state in states)
    assert b"Ana" not in raw and b"ana.li" not in raw and b"1234 5678" not in raw and b"110101" not in raw
    registered, contact, purchase, survey, complaint = (state["data"] for state in states)
    assert all(is_sealed(registered[name]) for name in PII)
    assert registered["segment"] == "retail" and contact["channel"] == "phone" and is_sealed(contact["note"])
    assert purchase["amount"] == "25.00" and survey["score"] == 9 and is_sealed(survey["comment"])
    assert complaint["severity"] == "high" and is_sealed(complaint["description"])
    # One key for the customer, wrapped (never the key in clear) by the master key.
    with secured.store.engine.connect() as connection:
        [row] = connection.execute(data_keys_table.select()).all()
    assert row.wrapped is not None and row.master_key_id == secured.store.keys.master.key_id


def test_reads_show_personal_fields_only_when_asked(secured: Ledger):
    fill(secured)
    shown = secured.timeline("C-1", personal=True)
    assert shown[0].data.model_dump(include=set(PII)) == PII
    assert shown[1].data.note == "asked about Ana's order"
    masked = secured.timeline("C-1")
    assert masked[0].data.email == "a***@example.com" and masked[0].data.name == "A*** L***"
    assert masked[1].data.note == "***" and masked[2].data.amount == shown[2].data.amount
    assert [e.data.note for e in secured.log(personal=True) if e.type == "contact"] == ["asked about Ana's order"]
    assert [e.data.note for e in secured.log() if e.type == "contact"] == ["***"]
    assert secured.profile("C-1").spend == {"EUR": "25.00"}


def test_the_hash_chain_covers_the_ciphertext_and_verifies_without_a_key(secured: Ledger, db_url, monkeypatch):
    fill(secured)
    monkeypatch.delenv(KEY_ENV)
    with Ledger(db_url, config=LedgerConfig()) as keyless:
        assert keyless.verify().events == 5
        assert keyless.timeline("C-1")[0].data.email == "***"  # encrypted: nothing to show without the key
        with pytest.raises(MasterKeyError, match="no master key is configured"):
            keyless.timeline("C-1", personal=True)
        with pytest.raises(MasterKeyError):  # no personal data in clear beside encrypted data
            keyless.append("contact", "C-1", {"channel": "web", "note": "in clear?"})
        keyless.append("purchase", "C-1", {"order_id": "O-2", "amount": "5.00"})  # no personal data: no key needed
    events = secured.store.events_table
    with secured.store.engine.begin() as connection:  # a ciphertext changed in place breaks the chain
        state = bytes(connection.execute(events.select().where(events.c.id == 2)).one().state)
        note = orjson.loads(state)["data"]["note"]
        changed = state.replace(note.encode(), (note[:-3] + ("AAA" if not note.endswith("AAA") else "BBB")).encode())
        connection.execute(events.update().where(events.c.id == 2).values(state=changed))
    with pytest.raises(Exception, match="verification failed at position 2"):
        secured.verify()


def test_a_ciphertext_moved_to_another_event_does_not_open(secured: Ledger):
    fill(secured)
    secured.append("contact", "C-1", {"channel": "web", "note": "second note"}, occurred_at="2024-01-05")
    events = secured.store.events_table
    with secured.store.engine.begin() as connection:
        first = orjson.loads(bytes(connection.execute(events.select().where(events.c.id == 2)).one().state))
        row = connection.execute(events.select().where(events.c.id == 6)).one()
        moved = orjson.loads(bytes(row.state))
        moved["data"]["note"] = first["data"]["note"]
        connection.execute(events.update().where(events.c.id == 6).values(state=orjson.dumps(moved)))
    notes = [e.data.note for e in secured.timeline("C-1", personal=True) if e.type == "contact"]
    assert notes == ["asked about Ana's order", "[unreadable]"]


def test_a_wrong_master_key_is_one_clear_error(secured: Ledger, db_url, monkeypatch):
    fill(secured)
    monkeypatch.setenv(KEY_ENV, master_key_text())
    with Ledger(db_url, config=LedgerConfig()) as wrong:
        with pytest.raises(MasterKeyError, match="is not the one that wraps") as raised:
            wrong.timeline("C-1", personal=True)
        assert raised.value.exit_code == 1
        with pytest.raises(MasterKeyError):
            wrong.append("contact", "C-1", {"channel": "web", "note": "x"})


def test_corrections_of_encrypted_events_keep_working(secured: Ledger):
    fill(secured)
    secured.correct("R-1", {"segment": "vip", "email": "ana@new.example.com"}, reason="moved")
    correction = secured.timeline("C-1", personal=True)[-1]
    assert correction.data.changes == {"segment": "vip", "email": "ana@new.example.com"}
    stored = stored_states(secured)[-1]["data"]
    assert stored["changes"]["segment"] == "vip" and is_sealed(stored["changes"]["email"]) and is_sealed(stored["reason"])
    assert secured.timeline("C-1")[-1].data.changes["email"] == "a***@new.example.com"


def test_a_batch_import_encrypts_each_new_customer_with_a_key_of_its_own(secured: Ledger):
    lines = [
        {"type": "customer_registered", "customer": f"B-{n}", "occurred_at": "2024-01-01", "data": {"email": f"b{n}@example.com"}}
        for n in range(30)
    ]
    assert len(secured.append_many(lines).stored) == 30
    with secured.store.engine.connect() as connection:
        wrapped = [row.wrapped for row in connection.execute(data_keys_table.select())]
    assert len(set(wrapped)) == 30
    assert [e.data.email for e in secured.timeline("B-7", personal=True)] == ["b7@example.com"]


def test_without_a_master_key_personal_data_is_stored_in_clear_and_said_once(ledger: Ledger, monkeypatch, caplog):
    monkeypatch.setattr(keyring, "_warned_in_clear", False)
    with caplog.at_level(logging.WARNING, logger="ledger.privacy"):
        ledger.append("contact", "C-1", {"channel": "web", "note": "plain note"})
        ledger.append("contact", "C-1", {"channel": "web", "note": "another"})
        ledger.append("purchase", "C-1", {"order_id": "O-1", "amount": "1.00"})
    assert [r.message for r in caplog.records].count(
        "no master key configured: personal data is stored in clear (see docs/privacy.md)"
    ) == 1
    assert stored_states(ledger)[0]["data"]["note"] == "plain note"
    assert ledger.timeline("C-1", personal=True)[0].data.note == "plain note"
    assert ledger.timeline("C-1")[0].data.note == "***"
