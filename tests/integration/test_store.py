"""Appending and reading back on SQLite and PostgreSQL through the Python API."""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import event, func, select

from commands.errors import InvalidEventError, RuleViolationError
from commands.records import GENESIS_HASH, SEAL_LENGTH, event_hash, seal, stored_hash, stream_id_for
from ledger.application import Ledger
from ledger.config import LedgerConfig
from ledger.errors import DatabaseUnavailableError
from ledger.storage.side_tables import event_ids_table
from ledger.writing import append_batch

ONE_OF_EACH = [
    (
        "customer_registered",
        {
            "name": "Ana Li",
            "email": "ana@example.com",
            "phone": "+86 10 1234 5678",
            "segment": "retail",
            "national_id": "X1",
            "attributes": {"tier": "gold"},
            "external_ids": {"crm": "42"},
        },
    ),
    ("customer_updated", {"email": "ana.li@example.com"}),
    (
        "contact",
        {
            "channel": "wechat",
            "direction": "outbound",
            "topic": "delivery",
            "agent": "bo",
            "duration_s": 120,
            "note": "called back",
        },
    ),
    (
        "purchase",
        {
            "order_id": "O-1",
            "amount": "120.50",
            "currency": "CNY",
            "quantity": 2,
            "sku": "TEA-1",
            "category": "tea",
            "channel": "app",
        },
    ),
    ("refund", {"order_id": "O-1", "amount": "20.50", "reason": "damaged"}),
    (
        "complaint_filed",
        {"complaint_id": "K-1", "severity": "critical", "channel": "phone", "category": "delivery", "description": "late"},
    ),
    ("complaint_responded", {"complaint_id": "K-1", "message": "sorry", "responder": "bo"}),
    ("complaint_resolved", {"complaint_id": "K-1", "resolution": "voucher", "responder": "bo"}),
    ("complaint_reopened", {"complaint_id": "K-1", "reason": "voucher invalid"}),
    (
        "survey_answered",
        {
            "survey_id": "S-1",
            "kind": "nps",
            "score": 9,
            "expectation": 7,
            "perceived_quality": 8,
            "perceived_value": 6,
            "comment": "good",
            "channel": "email",
            "about": "O-1",
        },
    ),
]


def test_every_event_type_round_trips(ledger: Ledger):
    for day, (event_type, data) in enumerate(ONE_OF_EACH, start=1):
        ledger.append(
            event_type,
            "C-1",
            data,
            occurred_at=f"2024-01-{day:02d}T10:00:00Z",
            event_id=f"E-{day}",
            source="test",
            actor="tester",
            correlation_id="corr-1",
        )
    events = ledger.timeline("C-1", personal=True)
    assert [e.type for e in events] == [t for t, _ in ONE_OF_EACH]
    for day, (recorded, (_, data)) in enumerate(zip(events, ONE_OF_EACH, strict=True), start=1):
        dumped = recorded.data.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
        expected = {k: v for k, v in data.items()}
        if recorded.type == "refund":
            expected["currency"] = "CNY"  # a refund is stored in its order's currency
        assert dumped == expected, recorded.type
        assert recorded.occurred_at == datetime(2024, 1, day, 10, tzinfo=UTC)
        assert (recorded.event_id, recorded.source, recorded.actor, recorded.correlation_id) == (
            f"E-{day}",
            "test",
            "tester",
            "corr-1",
        )
        assert recorded.version == day
        assert recorded.stream_id == stream_id_for("C-1")
    assert events[3].data.amount == Decimal("120.50")


def test_same_event_id_is_stored_once(ledger: Ledger):
    first = ledger.append("contact", "C-1", {"channel": "web"}, event_id="E-1")
    again = ledger.append("contact", "C-1", {"channel": "web"}, event_id="E-1")
    assert (first.duplicate, again.duplicate) == (False, True)
    assert again.position == first.position
    result = ledger.append_many(
        [
            {"type": "contact", "customer": "C-2", "event_id": "E-2", "data": {"channel": "web"}},
            {"type": "contact", "customer": "C-2", "event_id": "E-2", "data": {"channel": "web"}},
            {"type": "contact", "customer": "C-1", "event_id": "E-1", "data": {"channel": "web"}},
        ]
    )
    assert [e.event_id for e in result.stored] == ["E-2"]
    assert result.duplicates == ["E-2", "E-1"]
    assert [e.event_id for e in ledger.log()] == ["E-1", "E-2"]


def test_hashes_chain_within_each_stream(ledger: Ledger):
    for n in range(3):
        ledger.append("contact", "C-1", {"channel": "web"}, event_id=f"a{n}")
        ledger.append("contact", "C-2", {"channel": "sms"}, event_id=f"b{n}")
    for customer in ("C-1", "C-2"):
        events = ledger.timeline(customer)
        assert events[0].prev_hash == GENESIS_HASH
        for previous, current in itertools.pairwise(events):
            assert current.prev_hash == previous.hash
    log = ledger.log()
    assert [e.position for e in log] == [1, 2, 3, 4, 5, 6]
    # Recomputing the hash from the raw stored row gives the stored hash.
    stored = ledger.store.log(after=0, limit=1)[0]
    raw = _raw_state(ledger, 1)
    assert ledger.store.mapper.transcoder.decode(raw)["event_id"] == "a0"
    assert raw.endswith(b',"hash":"%s"}' % stored.hash.encode())
    assert event_hash(1, str(stored.stream_id), 1, raw[:-SEAL_LENGTH]) == stored.hash


def _raw_state(ledger: Ledger, position: int) -> bytes:
    table = ledger.store.events_table
    with ledger.store.engine.connect() as connection:
        return bytes(connection.execute(select(table.c.state).where(table.c.id == position)).scalar_one())


def test_invalid_event_stores_nothing(ledger: Ledger):
    with pytest.raises(InvalidEventError) as caught:
        ledger.append("purchase", "C-1", {"order_id": "O-1", "amount": "-1"})
    assert caught.value.problems[0][0] == "data.amount"
    with pytest.raises(RuleViolationError):
        ledger.append("refund", "C-1", {"order_id": "O-1", "amount": "1"})
    assert ledger.log() == []
    assert ledger.store.max_position() == 0


def test_batch_rejects_only_the_bad_event_unless_strict(ledger: Ledger):
    batch = [
        {"type": "purchase", "customer": "C-1", "event_id": "P", "data": {"order_id": "O-1", "amount": "10"}},
        {"type": "refund", "customer": "C-1", "event_id": "R1", "data": {"order_id": "O-1", "amount": "11"}},
        {"type": "purchase", "customer": "C-1", "event_id": "X", "data": {"order_id": "O-2", "amount": "oops"}},
        {"type": "refund", "customer": "C-1", "event_id": "R2", "data": {"order_id": "O-1", "amount": "10"}},
    ]
    with pytest.raises(RuleViolationError):
        ledger.append_many(batch[:2] + batch[3:], strict=True)
    assert ledger.log() == []
    result = ledger.append_many(batch)
    assert [e.event_id for e in result.stored] == ["P", "R2"]
    assert [(r.index, r.event_id) for r in result.rejected] == [(1, "R1"), (2, "X")]
    assert "exceeds" in str(result.rejected[0].error)


def test_refund_limit_holds_across_transactions(ledger: Ledger):
    ledger.append("purchase", "C-1", {"order_id": "O-1", "amount": "10.00"})
    ledger.append("refund", "C-1", {"order_id": "O-1", "amount": "6.00"})
    with pytest.raises(RuleViolationError, match=r"exceeds the 4\.00 EUR"):
        ledger.append("refund", "C-1", {"order_id": "O-1", "amount": "4.01"})
    ledger.append("refund", "C-1", {"order_id": "O-1", "amount": "4.00"})


def test_complaint_state_holds_across_transactions(ledger: Ledger):
    ledger.append("complaint_filed", "C-1", {"complaint_id": "K-1", "severity": "low"})
    ledger.append("complaint_resolved", "C-1", {"complaint_id": "K-1"})
    with pytest.raises(RuleViolationError, match="is resolved"):
        ledger.append("complaint_responded", "C-1", {"complaint_id": "K-1"})
    ledger.append("complaint_reopened", "C-1", {"complaint_id": "K-1"})
    ledger.append("complaint_responded", "C-1", {"complaint_id": "K-1"})


def test_timeline_as_of_and_unknown_customer(ledger: Ledger):
    ledger.append("contact", "C-1", {"channel": "web"}, occurred_at="2024-01-31T23:59:59Z")
    ledger.append("contact", "C-1", {"channel": "web"}, occurred_at="2024-02-01T00:00:00Z")
    assert len(ledger.timeline("C-1", as_of="2024-01-31")) == 1
    assert len(ledger.timeline("C-1", as_of="2024-02-01")) == 2
    from commands.errors import CustomerNotFoundError

    with pytest.raises(CustomerNotFoundError):
        ledger.timeline("nobody")


def test_append_cost_does_not_grow_with_the_stream(sqlite_url):
    """An append seeks the stream's head, never reads its history: SQLite runs as many VM steps for a long stream."""
    with Ledger(sqlite_url, config=LedgerConfig()) as ledger:
        ledger.append_many([{"type": "contact", "customer": "BIG", "data": {"channel": "web"}} for _ in range(3000)])
        ledger.append("contact", "SMALL", {"channel": "web"})
        steps = [0]

        def count_steps() -> int:
            steps[0] += 1
            return 0  # go on

        def on_checkout(dbapi_connection, _record, _proxy) -> None:
            dbapi_connection.set_progress_handler(count_steps, 1)

        event.listen(ledger.store.engine, "checkout", on_checkout)
        for kept in ledger.store.recorder._idle_writers:  # the write connection, kept since the appends above
            on_checkout(kept.driver_connection, None, None)
        counted = {}
        for customer in ("BIG", "SMALL"):
            steps[0] = 0
            ledger.append("contact", customer, {"channel": "phone"})
            counted[customer] = steps[0]
        assert counted["BIG"] == counted["SMALL"] > 0
        assert ledger.timeline("BIG")[-1].version == 3001


@pytest.mark.postgres
def test_stream_head_lookup_reads_one_row_per_stream_on_postgres(postgres_url):
    with Ledger(postgres_url, config=LedgerConfig()) as ledger:
        ledger.append_many([{"type": "contact", "customer": "BIG", "data": {"channel": "web"}} for _ in range(3000)])
        ledger.append("contact", "SMALL", {"channel": "web"})
        sql = ledger.store.recorder.write_sql.stream_heads(2)
        raw = ledger.store.engine.raw_connection()
        try:
            cursor = raw.cursor()
            cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, [stream_id_for("BIG"), stream_id_for("SMALL")])
            plan = cursor.fetchone()[0][0]["Plan"]
        finally:
            raw.close()
    assert plan["Actual Rows"] == 2
    scans = list(_plan_nodes(plan, "Relation Name"))
    assert scans and all(node["Actual Rows"] * node["Actual Loops"] <= 2 for node in scans)


def _plan_nodes(node: dict, key: str):
    if key in node:
        yield node
    for child in node.get("Plans", []):
        yield from _plan_nodes(child, key)


def test_event_id_index_matches_the_log(ledger: Ledger):
    ledger.append_many([{"type": "contact", "customer": f"C-{n % 7}", "data": {"channel": "web"}} for n in range(50)])
    with ledger.store.engine.connect() as connection:
        indexed = connection.execute(select(func.count()).select_from(event_ids_table)).scalar_one()
    assert indexed == len(ledger.log(limit=1000)) == 50


BAD_EVENTS = [
    ({"type": "visit", "customer": "C-1"}, "type"),
    ({"type": "purchase", "customer": "C-1", "data": {"amount": "5"}}, "data.order_id"),
    ({"type": "purchase", "customer": "C-1", "data": {"order_id": "O", "amount": "5", "coupon": "X"}}, "data.coupon"),
    ({"type": "purchase", "customer": "C-1", "data": {"order_id": "O", "amount": "5", "quantity": "many"}}, "data.quantity"),
    ({"type": "purchase", "customer": "C-1", "data": {"order_id": "O", "amount": "-5"}}, "data.amount"),
    ({"type": "purchase", "customer": "C-1", "data": {"order_id": "O", "amount": "5", "currency": "ABC"}}, "data.currency"),
    ({"type": "survey_answered", "customer": "C-1", "data": {"survey_id": "S", "kind": "ces", "score": 8}}, "data.score"),
    ({"type": "contact", "customer": "C-1", "occurred_at": "2024-13-01", "data": {"channel": "web"}}, "occurred_at"),
    ({"type": "contact", "customer": "C-1", "occurred_at": "2999-01-01", "data": {"channel": "web"}}, "occurred_at"),
    ({"type": "complaint_reopened", "customer": "C-1", "data": {"complaint_id": "K-1"}}, "data.complaint_id"),
    ({"type": "refund", "customer": "C-1", "data": {"order_id": "O", "amount": "5"}}, "data.order_id"),
    ({"type": "contact", "customer": "", "data": {"channel": "web"}}, "customer"),
]


@pytest.mark.parametrize(("raw", "field"), BAD_EVENTS)
def test_bad_input_through_the_api_names_the_field_and_stores_nothing(ledger: Ledger, raw, field):
    with pytest.raises(InvalidEventError) as caught:
        ledger.append_many([raw], strict=True)
    assert caught.value.problems[0][0] == field
    result = ledger.append_many([raw])
    assert result.stored == []
    assert [(r.index, r.error.problems[0][0]) for r in result.rejected] == [(0, field)]
    assert ledger.store.max_position() == 0


def test_side_tables_are_one_btree_each_on_sqlite(sqlite_url):
    """A commit writes every page it dirtied: no rowid table beside a key's index, no index entry for plain events."""
    with Ledger(sqlite_url, config=LedgerConfig()) as ledger, ledger.store.engine.connect() as connection:
        indexes = connection.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'index'").all()
    assert {name for name, _ in indexes} == {"ledger_events_aggregate_idx", "ledger_event_ids_by_target"}
    assert "WHERE target_event_id IS NOT NULL" in dict(indexes)["ledger_event_ids_by_target"]


def test_stored_hash_reads_sealed_and_format_1_states():
    sealed, digest = seal(7, str(stream_id_for("C-1")), 1, {"customer": "C-1", "prev_hash": GENESIS_HASH})
    assert stored_hash(sealed) == digest
    assert stored_hash(b'{"hash": "' + b"a" * 64 + b'", "customer": "C-1"}') == "a" * 64


def test_a_write_that_raises_stores_nothing_and_the_next_one_works(ledger: Ledger):
    ledger.append("contact", "C-1", {"channel": "web"})
    event = ledger.parse({"type": "contact", "customer": "C-2", "data": {"channel": "web"}})
    with pytest.raises(RuntimeError), ledger.store.write() as transaction:
        append_batch(transaction, [event])  # its inserts sent or, on PostgreSQL, still queued
        raise RuntimeError("after the inserts")
    assert ledger.store.max_position() == 1
    ledger.append("contact", "C-3", {"channel": "web"})
    assert [e.customer for e in ledger.log()] == ["C-1", "C-3"]


def test_a_failing_statement_rolls_back_and_leaves_the_write_connection_as_it_was(ledger: Ledger):
    ledger.append("contact", "C-1", {"channel": "web"})
    store = ledger.store
    taken_position = (1, store.driver_uuid(stream_id_for("C-9")), 1, "topic", b"{}")
    with pytest.raises(store.engine.dialect.loaded_dbapi.IntegrityError), store.write() as transaction:
        append_batch(transaction, [ledger.parse({"type": "contact", "customer": "C-2", "data": {"channel": "web"}})])
        transaction.cursor.execute(store.recorder.write_sql.insert_event, taken_position)
    assert [e.customer for e in ledger.log()] == ["C-1"]
    [connection] = store.recorder._idle_writers  # kept for the next write: the statement failed, not the connection
    if store.is_postgres:  # pipeline mode and autocommit were the write's alone
        assert connection.driver_connection.autocommit is False
        assert connection.driver_connection.info.transaction_status.name == "IDLE"
    else:
        assert not connection.driver_connection.in_transaction
    ledger.append("contact", "C-3", {"channel": "web"})
    assert store.recorder._idle_writers == [connection]
    assert [e.customer for e in ledger.log()] == ["C-1", "C-3"]


def test_writes_keep_their_connection_and_a_broken_one_is_replaced(ledger: Ledger):
    store = ledger.store
    ledger.append("contact", "C-1", {"channel": "web"})
    [kept] = store.recorder._idle_writers
    ledger.append("contact", "C-2", {"channel": "web"})
    assert store.recorder._idle_writers == [kept]  # the pool is not asked again
    kept.driver_connection.close()  # as if the server had gone away
    with pytest.raises(DatabaseUnavailableError, match=r"^database write failed: "):
        ledger.append("contact", "C-3", {"channel": "web"})
    assert store.recorder._idle_writers == []
    ledger.append("contact", "C-4", {"channel": "web"})
    assert [e.customer for e in ledger.log()] == ["C-1", "C-2", "C-4"]


def test_a_rule_violation_keeps_the_write_connection(ledger: Ledger):
    ledger.append("purchase", "C-1", {"order_id": "O-1", "amount": "10.00"})
    [kept] = ledger.store.recorder._idle_writers
    with pytest.raises(RuleViolationError):
        ledger.append("refund", "C-1", {"order_id": "O-1", "amount": "20.00"})
    assert ledger.store.recorder._idle_writers == [kept]
    assert ledger.append("refund", "C-1", {"order_id": "O-1", "amount": "10.00"}).position == 2


def test_threads_appending_at_once_each_write_on_a_connection_of_their_own(ledger: Ledger):
    def append_some(thread: int) -> None:
        for n in range(50):
            ledger.append("contact", f"C-{n % 5}", {"channel": "web"}, event_id=f"t{thread}-{n}")

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(append_some, range(4)))
    events = ledger.log(limit=1000)
    assert len({e.event_id for e in events}) == len(events) == 200
    assert [e.position for e in events] == list(range(1, 201))
    assert 1 <= len(ledger.store.recorder._idle_writers) == len(set(map(id, ledger.store.recorder._idle_writers))) <= 4
