"""The side tables (orders, complaints, the event-id index) against the log.

verify names a changed row; appends refuse to trust it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Insert, delete, insert, update

from cli import main
from commands.errors import RuleViolationError
from commands.records import stream_id_for
from ledger.application import Ledger
from ledger.audit.side_fold import SideTableMismatchError
from ledger.config import LedgerConfig
from ledger.storage.side_tables import complaints_table, event_ids_table, orders_table


def history(ledger: Ledger) -> None:
    """Orders with refunds, a void and a correction, complaints open and resolved, for C-1 and C-2."""
    ledger.append("purchase", "C-1", {"order_id": "O-1", "amount": "30"}, event_id="P-1")
    ledger.append("purchase", "C-1", {"order_id": "O-2", "amount": "10"}, event_id="P-2")
    ledger.append("refund", "C-1", {"order_id": "O-1", "amount": "10"}, event_id="R-1")
    ledger.append("event_voided", "C-1", {"target_event_id": "P-2", "reason": "duplicate order"}, event_id="V-1")
    ledger.append("event_corrected", "C-1", {"target_event_id": "P-1", "changes": {"amount": "40"}}, event_id="X-1")
    ledger.append("complaint_filed", "C-1", {"complaint_id": "K-1", "severity": "high"}, event_id="K-1-filed")
    ledger.append("complaint_resolved", "C-1", {"complaint_id": "K-1"}, event_id="K-1-resolved")
    ledger.append("complaint_filed", "C-2", {"complaint_id": "K-2", "severity": "low"}, event_id="K-2-filed")
    ledger.append("purchase", "C-2", {"order_id": "O-3", "amount": "5"}, event_id="P-3")


def tamper(ledger: Ledger, statement: Any) -> None:
    """Change a side table behind the ledger's back, as raw SQL would."""
    with ledger.store.engine.begin() as connection:
        changed = connection.execute(statement).rowcount
    assert isinstance(statement, Insert) or changed == 1  # an insert's rowcount is the driver's to tell


def fresh(ledger: Ledger, url: str) -> Ledger:
    """Open the same database in a new Ledger, so that no fold kept by the old one's process state is shared."""
    ledger.close()
    return Ledger(url, config=LedgerConfig())


def _order(order_id: str) -> Any:
    return (orders_table.c.order_id == order_id) & (orders_table.c.stream_id == stream_id_for("C-1"))


def test_verify_checks_every_side_table_row(ledger: Ledger):
    history(ledger)
    report = ledger.verify()
    # 9 events (a void and a correction among them), 3 orders, 2 complaints.
    assert (report.events, report.side_table_rows) == (9, 9 + 3 + 2)


TAMPERING: dict[str, tuple[Callable[[], Any], str]] = {
    "refunded reset": (
        lambda: update(orders_table).where(_order("O-1")).values(refunded_minor=0),
        "ledger_orders order 'O-1' of customer 'C-1': the row says EUR paid 4000, refunded 0 (minor units), "
        "the log gives EUR paid 4000, refunded 1000",
    ),
    "order deleted": (
        lambda: delete(orders_table).where(_order("O-2")),
        "ledger_orders order 'O-2' of customer 'C-1': no row, the log gives EUR paid 0, refunded 0",
    ),
    "order invented": (
        lambda: insert(orders_table).values(
            order_id="O-9", stream_id=stream_id_for("C-1"), currency="EUR", paid_minor=99900, refunded_minor=0
        ),
        "ledger_orders order 'O-9' of customer 'C-1': the row says EUR paid 99900, refunded 0 (minor units), "
        "the log gives no row",
    ),
    "complaint reopened": (
        lambda: update(complaints_table).where(complaints_table.c.complaint_id == "K-1").values(status="open"),
        "ledger_complaints complaint 'K-1' of customer 'C-1': the row says 'open', the log gives 'resolved'",
    ),
    "complaint deleted": (
        lambda: delete(complaints_table).where(complaints_table.c.complaint_id == "K-2"),
        "ledger_complaints complaint 'K-2' of customer 'C-2': no row, the log gives 'open'",
    ),
    "void forgotten": (
        lambda: update(event_ids_table).where(event_ids_table.c.event_id == "P-2").values(voided=False),
        "ledger_event_ids event_id 'P-2': not marked voided, but the log voids it",
    ),
    "event id deleted": (
        lambda: delete(event_ids_table).where(event_ids_table.c.event_id == "P-3"),
        "ledger_event_ids event_id 'P-3': no row for the event at position 9",
    ),
    "event id moved": (
        lambda: update(event_ids_table).where(event_ids_table.c.event_id == "P-1").values(position=2),
        "ledger_event_ids event_id 'P-1': no row for the event at position 1",
    ),
    "content hash changed": (
        lambda: update(event_ids_table).where(event_ids_table.c.event_id == "K-2-filed").values(content_hash="0" * 32),
        "ledger_event_ids event_id 'K-2-filed': content_hash '00000000000000000000000000000000', the event at position 8",
    ),
    "correction unlinked": (
        lambda: update(event_ids_table).where(event_ids_table.c.event_id == "X-1").values(target_event_id=None),
        "ledger_event_ids event_id 'X-1': target_event_id None, the log gives 'P-1'",
    ),
}


@pytest.mark.parametrize("case", list(TAMPERING))
def test_verify_names_the_table_and_key_of_a_changed_row(ledger: Ledger, case: str):
    history(ledger)
    statement, message = TAMPERING[case]
    tamper(ledger, statement())
    with pytest.raises(SideTableMismatchError, match=re.escape(message)) as raised:
        ledger.verify()
    assert raised.value.exit_code == 3
    assert raised.value.table in str(raised.value)


def test_the_cli_exits_3_naming_the_row(db_url: str):
    with Ledger(db_url, config=LedgerConfig()) as ledger:
        history(ledger)
        tamper(ledger, update(orders_table).where(_order("O-1")).values(paid_minor=900000))
    result = CliRunner().invoke(main, ["--db", db_url, "verify"])
    assert result.exit_code == 3, result.output
    assert "ledger_orders order 'O-1' of customer 'C-1'" in result.stderr
    assert "Traceback" not in result.output
    assert result.stderr.count("\n") == 1


@pytest.mark.parametrize("new_process", [False, True], ids=["same process", "new process"])
def test_an_over_refund_through_a_changed_order_row_is_refused(ledger: Ledger, db_url: str, new_process: bool):
    history(ledger)
    tamper(ledger, update(orders_table).where(_order("O-1")).values(refunded_minor=0))
    if new_process:
        ledger = fresh(ledger, db_url)
    # The row now says 40.00 unrefunded; the log says 30.00.
    with pytest.raises(SideTableMismatchError, match=re.escape("ledger_orders order 'O-1' of customer 'C-1'")):
        ledger.append("refund", "C-1", {"order_id": "O-1", "amount": "35"})
    assert ledger.store.max_position() == 9
    # A customer whose rows are intact is not held up.
    ledger.append("refund", "C-2", {"order_id": "O-3", "amount": "5"})
    ledger.close()


def test_a_refund_on_an_invented_order_is_refused(ledger: Ledger):
    history(ledger)
    tamper(ledger, TAMPERING["order invented"][0]())
    with pytest.raises(SideTableMismatchError, match="ledger_orders order 'O-9'"):
        ledger.append("refund", "C-1", {"order_id": "O-9", "amount": "100"})
    assert ledger.store.max_position() == 9


@pytest.mark.parametrize("new_process", [False, True], ids=["same process", "new process"])
def test_an_impossible_complaint_step_through_a_changed_row_is_refused(ledger: Ledger, db_url: str, new_process: bool):
    history(ledger)
    tamper(ledger, TAMPERING["complaint reopened"][0]())
    if new_process:
        ledger = fresh(ledger, db_url)
    # The row says K-1 is open, so resolving it would pass; the log says it is resolved already.
    with pytest.raises(SideTableMismatchError, match=re.escape("ledger_complaints complaint 'K-1' of customer 'C-1'")):
        ledger.append("complaint_resolved", "C-1", {"complaint_id": "K-1"})
    tamper(ledger, TAMPERING["complaint deleted"][0]())
    with pytest.raises(SideTableMismatchError, match="complaint 'K-2'"):
        ledger.append("complaint_filed", "C-2", {"complaint_id": "K-2", "severity": "low"})
    assert ledger.store.max_position() == 9
    ledger.close()


def test_voiding_twice_through_a_forgotten_void_is_refused(ledger: Ledger, db_url: str):
    history(ledger)
    tamper(ledger, TAMPERING["void forgotten"][0]())
    ledger = fresh(ledger, db_url)
    with pytest.raises(SideTableMismatchError, match="ledger_event_ids event_id 'P-2'"):
        ledger.void("P-2", "again")
    ledger.close()


def test_a_deleted_event_id_does_not_let_a_duplicate_in(ledger: Ledger, db_url: str):
    history(ledger)
    tamper(ledger, TAMPERING["event id deleted"][0]())
    ledger = fresh(ledger, db_url)
    with pytest.raises(SideTableMismatchError, match="ledger_event_ids event_id 'P-3': no row"):
        ledger.append("purchase", "C-2", {"order_id": "O-3", "amount": "5"}, event_id="P-3")
    assert ledger.store.max_position() == 9
    ledger.close()


def test_a_changed_content_hash_does_not_turn_a_conflict_into_a_duplicate(ledger: Ledger, db_url: str):
    history(ledger)
    forged = Ledger(db_url, config=LedgerConfig())
    # The hash of what a different complaint would say, written over K-2-filed's own.
    other = forged.append("complaint_filed", "C-2", {"complaint_id": "K-3", "severity": "high"}, event_id="probe")
    with forged.store.engine.connect() as connection:
        probe_hash = (
            connection.execute(event_ids_table.select().where(event_ids_table.c.event_id == other.event_id)).one().content_hash
        )
    forged.close()
    tamper(ledger, update(event_ids_table).where(event_ids_table.c.event_id == "K-2-filed").values(content_hash=probe_hash))
    with pytest.raises(SideTableMismatchError, match="ledger_event_ids event_id 'K-2-filed': content_hash"):
        ledger.append("complaint_filed", "C-2", {"complaint_id": "K-3", "severity": "high"}, event_id="K-2-filed")


def test_rows_written_by_the_ledger_always_pass(ledger: Ledger):
    """The write path's check raises nothing on intact rows, also across batches and processes."""
    history(ledger)
    ledger.append_many(
        [
            {"type": "refund", "customer": "C-1", "data": {"order_id": "O-1", "amount": "5"}},
            {"type": "complaint_reopened", "customer": "C-1", "data": {"complaint_id": "K-1"}},
            {"type": "purchase", "customer": "C-3", "data": {"order_id": "O-4", "amount": "1"}},
        ]
    )
    with pytest.raises(RuleViolationError, match=re.escape("exceeds the 25.00 EUR")):
        ledger.append("refund", "C-1", {"order_id": "O-1", "amount": "26"})
    assert ledger.verify().side_table_rows == 12 + 4 + 2


OPS = st.lists(
    st.tuples(
        st.sampled_from(["purchase", "refund", "void", "correct", "file", "resolve", "reopen"]),
        st.integers(0, 2),
        st.integers(1, 40),
    ),
    min_size=1,
    max_size=25,
)


def apply_op(ledger: Ledger, event_id: str, kind: str, pick: int, amount: str) -> None:
    """Append one step of a generated history for C-1: picks name orders, complaints and earlier events."""
    order, complaint = f"O-{pick}", f"K-{pick}"
    if kind in ("purchase", "refund"):
        ledger.append(kind, "C-1", {"order_id": order, "amount": amount}, event_id=event_id)
    elif kind == "void":
        ledger.append("event_voided", "C-1", {"target_event_id": f"e{pick * 3}", "reason": "test"}, event_id=event_id)
    elif kind == "correct":
        changes = {"target_event_id": f"e{pick * 2}", "changes": {"amount": amount}}
        ledger.append("event_corrected", "C-1", changes, event_id=event_id)
    elif kind == "file":
        ledger.append("complaint_filed", "C-1", {"complaint_id": complaint, "severity": "low"}, event_id=event_id)
    else:
        step = {"resolve": "complaint_resolved", "reopen": "complaint_reopened"}[kind]
        ledger.append(step, "C-1", {"complaint_id": complaint}, event_id=event_id)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=OPS)
def test_any_history_the_rules_accept_leaves_side_tables_verify_accepts(tmp_path_factory, ops):
    url = f"sqlite:///{tmp_path_factory.mktemp('side')}/ledger.db"
    with Ledger(url, config=LedgerConfig()) as ledger:
        for n, (kind, pick, amount) in enumerate(ops):
            try:
                apply_op(ledger, f"e{n}", kind, pick, str(amount))
            except RuleViolationError:
                pass
            except Exception as error:  # anything else (an unknown target is a LedgerError too) must not be the side check
                assert not isinstance(error, SideTableMismatchError), error
        ledger.verify()
    with Ledger(url, config=LedgerConfig()) as reopened:  # a cold process folds the stream from the log
        reopened.append("contact", "C-1", {"channel": "web"})
        reopened.verify()
