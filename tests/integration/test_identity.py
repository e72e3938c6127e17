"""Identifiers on SQLite and PostgreSQL: linking, one holder at a time, resolution, whois, erasure and encryption."""

from __future__ import annotations

import base64
import io
import json
import threading

import pytest
from sqlalchemy import func, select

from commands.errors import InvalidArgumentError, InvalidEventError
from ledger import Ledger
from ledger.audit.side_fold import SideTableMismatchError
from ledger.config import IdentitySettings, LedgerConfig
from ledger.identity.errors import NoHolderError
from ledger.privacy.cipher import new_key
from ledger.privacy.master_key import KEY_ENV, MasterKey
from ledger.storage.side_tables import identifiers_table


def configured(db_url: str, **identity) -> Ledger:
    return Ledger(db_url, config=LedgerConfig(identity=IdentitySettings(**identity)))


@pytest.fixture
def shop(db_url, monkeypatch):
    monkeypatch.delenv(KEY_ENV, raising=False)
    with configured(db_url, kinds=("shopify",), default_region="GB", max_holders={"national_id": 1}) as opened:
        yield opened


def lines(*events: dict) -> io.BytesIO:
    return io.BytesIO(b"".join(json.dumps(event).encode() + b"\n" for event in events))


def purchase(customer, order_id: str, day: str = "2024-05-02") -> dict:
    return {"type": "purchase", "customer": customer, "occurred_at": day, "data": {"order_id": order_id, "amount": "10"}}


def holder_rows(ledger: Ledger) -> int:
    with ledger.store.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(identifiers_table)).scalar_one())


def test_an_identifier_is_linked_normalised_and_held_by_one_customer(shop: Ledger):
    shop.link_identifier("C-1", "email: Ann@Example.com ", occurred_at="2024-05-01")
    before = shop.store.max_position()
    with pytest.raises(InvalidEventError, match="this email is held by customer 'C-1'"):
        shop.link_identifier("C-2", {"email": "ANN@example.com"})
    assert shop.store.max_position() == before  # nothing stored
    assert shop.timeline("C-1", personal=True)[0].data.value == "ann@example.com"
    again = shop.link_identifier("C-1", "email:ann@example.com")  # linking it to its holder again changes nothing
    assert not again.duplicate and shop.whois("email:ann@example.com").since == "2024-05-01T00:00:00Z"


def test_phone_numbers_and_external_ids_resolve_in_their_normal_form(shop: Ledger):
    shop.link_identifier("C-1", "phone:01632 960961")
    shop.link_identifier("C-1", "shopify:123")
    assert shop.resolve_customer("phone:+44 1632 960961") == "C-1"
    assert shop.resolve_customer("shopify: 123") == "C-1"
    assert shop.resolve_customer("crm:9") == "crm:9"  # not a configured kind: a customer key
    with pytest.raises(NoHolderError, match="no customer holds this phone"):
        shop.resolve_customer("phone:+441632960000")


def test_events_name_their_customer_by_identifier_and_unknown_ones_are_rejected_by_default(shop: Ledger):
    shop.link_identifier("C-1", "email:ann@example.com", occurred_at="2024-05-01")
    receipt = shop.append("purchase", {"email": "Ann@Example.com"}, {"order_id": "O-1", "amount": "10"})
    assert shop.timeline("C-1")[-1].event_id == receipt.event_id
    summary = shop.import_file(
        lines(purchase({"email": "ann@example.com"}, "O-2"), purchase({"email": "bob@example.com"}, "O-3"))
    )
    assert summary.stored == 1
    assert [(p.line, p.message) for p in summary.problems] == [
        (2, "customer: no customer holds this email (use --on-unknown create to create one)")
    ]
    assert [e.data.order_id for e in shop.timeline("C-1") if e.data.wire_name == "purchase"] == ["O-1", "O-2"]


def test_unknown_identifiers_create_one_customer_each_and_a_reimport_stores_nothing(shop: Ledger):
    file = lines(
        purchase({"email": "bob@example.com"}, "O-1"),
        purchase({"email": " BOB@example.com"}, "O-2"),  # the same identifier: the same new customer
        purchase({"loyalty_card": "LC-7"}, "O-3"),
    )
    with shop.resolving("create"):
        first = shop.import_file(io.BytesIO(file.getvalue()))
        second = shop.import_file(io.BytesIO(file.getvalue()))
    assert (first.stored, first.rejected) == (5, 0)  # three purchases and two links
    assert (second.stored, second.duplicates) == (0, 3)
    bob = shop.whois("email:bob@example.com").holder
    assert bob is not None and bob.startswith("email-") and "bob" not in bob
    assert [e.data.wire_name for e in shop.timeline(bob)] == ["purchase", "identifier_linked", "purchase"]
    assert shop.whois("loyalty_card:LC-7").holder != bob


def test_a_line_that_links_makes_later_lines_resolve_to_its_customer(shop: Ledger):
    link = {
        "type": "identifier_linked",
        "customer": "C-9",
        "occurred_at": "2024-05-01",
        "data": {"kind": "email", "value": "x@y.org"},
    }
    summary = shop.import_file(lines(link, purchase({"email": "X@Y.org"}, "O-1")))
    assert (summary.stored, summary.rejected) == (2, 0)
    assert [e.data.wire_name for e in shop.timeline("C-9")] == ["identifier_linked", "purchase"]


def test_a_link_or_unlink_may_name_its_customer_by_another_identifier(shop: Ledger):
    shop.link_identifier("C-1", "loyalty_card:LC-1", occurred_at="2024-05-01")
    by_card = {"loyalty_card": "LC-1"}

    def identity(kind: str, value: str) -> dict:
        return {"type": kind, "customer": by_card, "occurred_at": "2024-05-02", "data": {"kind": "email", "value": value}}

    summary = shop.import_file(lines(identity("identifier_linked", "a@x.org"), identity("identifier_unlinked", "a@x.org")))
    assert (summary.stored, summary.rejected) == (2, 0)
    assert shop.whois("loyalty_card:LC-1").holder == "C-1"  # the card it was named by is untouched
    assert [h.customer for h in shop.whois("email:a@x.org").holdings] == ["C-1"]
    assert shop.whois("email:a@x.org").holder is None


def test_values_that_name_nobody_are_never_linked(shop: Ledger):
    summary = shop.import_file(
        lines(
            *(
                {"type": "identifier_linked", "customer": "C-1", "occurred_at": "2024-05-01", "data": {"kind": k, "value": v}}
                for k, v in [("email", "anonymous@example.com"), ("loyalty_card", "0000-0000"), ("phone", "unknown")]
            )
        )
    )
    assert summary.stored == 0
    assert [p.message for p in summary.problems] == [
        "data.value: 'anonymous@example.com' names nobody and is never linked",
        "data.value: '0000-0000' names nobody and is never linked",
        "data.value: 'unknown' names nobody and is never linked",
    ]
    with shop.resolving("create"), pytest.raises(InvalidEventError, match="'null' names nobody"):
        shop.append("purchase", {"email": "null"}, {"order_id": "O-1", "amount": "1"})
    assert holder_rows(shop) == 0


def test_whois_shows_holders_as_of_a_date_and_earlier_ones(shop: Ledger):
    shop.link_identifier("C-1", "email:ann@example.com", occurred_at="2024-05-01")
    with pytest.raises(InvalidEventError, match="held by customer 'C-1', not by this customer"):
        shop.unlink_identifier("C-2", "email:ann@example.com")
    shop.unlink_identifier("C-1", "email:ann@example.com", occurred_at="2024-06-01")
    assert shop.whois("email:ann@example.com").holder is None
    shop.link_identifier("C-2", "email:ann@example.com", occurred_at="2024-06-02")
    now = shop.whois("email:ann@example.com")
    assert (now.holder, now.since) == ("C-2", "2024-06-02T00:00:00Z")
    assert [(h.customer, h.until) for h in now.holdings] == [("C-1", "2024-06-01T00:00:00Z"), ("C-2", None)]
    then = shop.whois("email:ann@example.com", as_of="2024-05-15")
    assert (then.holder, [h.customer for h in then.holdings]) == ("C-1", ["C-1"])
    assert shop.whois("email:ann@example.com", as_of="2024-06-01").holder is None
    assert shop.whois("email:nobody-yet@example.com").holdings == []


def test_a_kind_limits_how_many_customers_one_identifier_passes_through(shop: Ledger):
    shop.link_identifier("C-1", "national_id:AB123", occurred_at="2024-05-01")
    shop.unlink_identifier("C-1", "national_id:AB123", occurred_at="2024-05-02")
    with pytest.raises(InvalidEventError, match="held by 1 customers, the most one may be"):
        shop.link_identifier("C-2", "national_id:AB123")
    shop.link_identifier("C-1", "national_id:AB123")  # its own holder may take it back


def test_erasure_removes_the_customers_identifiers_from_the_index(shop: Ledger):
    shop.link_identifier("C-1", "email:ann@example.com", occurred_at="2024-05-01")
    shop.link_identifier("C-2", "email:bob@example.com", occurred_at="2024-05-01")
    shop.erase("C-1", "asked to be forgotten")
    assert shop.whois("email:ann@example.com").holdings == []
    assert holder_rows(shop) == 1
    with pytest.raises(InvalidEventError, match="no customer holds this email"):
        shop.append("purchase", {"email": "ann@example.com"}, {"order_id": "O-1", "amount": "1"})


def test_with_a_master_key_identifiers_are_encrypted_and_the_index_survives_rotation(db_url, monkeypatch, tmp_path):
    monkeypatch.setenv(KEY_ENV, base64.b64encode(new_key()).decode())
    with configured(db_url) as secured:
        secured.link_identifier("C-1", "email:ann@example.com")
        assert b"ann@example.com" not in b"".join(bytes(row) for row in _states(secured))
        assert secured.timeline("C-1", personal=True)[0].data.value == "ann@example.com"
        new = MasterKey.from_text(base64.b64encode(new_key()).decode(), "test")
        secured.rotate_master_key(new)
    monkeypatch.setenv(KEY_ENV, base64.b64encode(new.secret).decode())
    with configured(db_url) as rotated:
        assert rotated.resolve_customer("email:ann@example.com") == "C-1"


def _states(ledger: Ledger) -> list[bytes]:
    with ledger.store.engine.connect() as connection:
        return [row[0] for row in connection.exec_driver_sql(f"SELECT state FROM {ledger.store.events_table.name}")]


def test_two_writers_linking_one_identifier_to_different_customers_one_wins(db_url, monkeypatch):
    monkeypatch.delenv(KEY_ENV, raising=False)
    with configured(db_url) as first:
        first.append("contact", "C-0", {"channel": "email"})  # the tables exist before the race
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def link(customer: str) -> None:
        with configured(db_url) as ledger:
            barrier.wait()
            try:
                ledger.link_identifier(customer, "email:race@example.com")
                outcomes.append(f"linked {customer}")
            except InvalidEventError as error:
                outcomes.append(str(error))

    threads = [threading.Thread(target=link, args=(f"C-{n}",)) for n in range(1, 5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [o for o in outcomes if o.startswith("linked")]
    assert len(winners) == 1
    winner = winners[0].removeprefix("linked ")
    assert sorted(outcomes) == sorted(
        [*winners, *[f"data.value: this email is held by customer {winner!r}: unlink it there first"] * 3]
    )
    with configured(db_url) as ledger:
        assert ledger.whois("email:race@example.com").holder == winner
        assert holder_rows(ledger) == 1


def _history(ledger: Ledger) -> None:
    ledger.link_identifier("C-1", "email:ann@example.com", occurred_at="2024-05-01")
    ledger.link_identifier("C-1", "phone:+441632960961", occurred_at="2024-05-01")
    ledger.unlink_identifier("C-1", "email:ann@example.com", occurred_at="2024-06-01")
    ledger.link_identifier("C-2", "email:ann@example.com", occurred_at="2024-06-02")
    ledger.link_identifier("C-3", "email:cy@example.com", occurred_at="2024-06-02")
    ledger.erase("C-3", "asked to be forgotten")


@pytest.mark.parametrize("master", [False, True])
def test_verify_rebuilds_the_holders_table_from_the_log(db_url, monkeypatch, master):
    if master:
        monkeypatch.setenv(KEY_ENV, base64.b64encode(new_key()).decode())
    else:
        monkeypatch.delenv(KEY_ENV, raising=False)
    with configured(db_url) as ledger:
        _history(ledger)
        assert ledger.verify().side_table_rows >= 3
        with ledger.store.engine.begin() as connection:  # a holding moved to another customer behind the ledger's back
            connection.execute(identifiers_table.update().where(identifiers_table.c.customer == "C-2").values(customer="C-9"))
        with pytest.raises(SideTableMismatchError, match="ledger_identifiers holding of customer"):
            ledger.verify()


def test_verify_without_the_master_key_checks_the_rows_it_can(db_url, monkeypatch):
    monkeypatch.setenv(KEY_ENV, base64.b64encode(new_key()).decode())
    with configured(db_url) as ledger:
        _history(ledger)
    monkeypatch.delenv(KEY_ENV)
    with configured(db_url) as ledger:
        ledger.verify()
        with ledger.store.engine.begin() as connection:  # an earlier holding's row deleted
            connection.execute(
                identifiers_table.delete().where(identifiers_table.c.customer == "C-1", identifiers_table.c.kind == "email")
            )
        with pytest.raises(SideTableMismatchError, match="the unlink at this position closes no row"):
            ledger.verify()


def test_verify_of_a_ledger_without_identifiers_reads_no_identity_events(ledger: Ledger):
    ledger.append("contact", "C-1", {"channel": "email"})
    assert ledger.verify().side_table_rows == 1  # its event-id row, and no holders to check


def test_the_configured_default_creates_and_a_block_may_reject(db_url, monkeypatch):
    monkeypatch.delenv(KEY_ENV, raising=False)
    with configured(db_url, on_unknown="create") as ledger:
        ledger.append("contact", {"wechat_openid": "o-123"}, {"channel": "wechat"})
        assert ledger.whois("wechat_openid:o-123").holder is not None
        with ledger.resolving("reject"), pytest.raises(InvalidEventError, match="no customer holds this wechat_openid"):
            ledger.append("contact", {"wechat_openid": "o-456"}, {"channel": "wechat"})
        with pytest.raises(InvalidArgumentError, match="on_unknown: expected 'create' or 'reject', got 'maybe'"):
            ledger.resolving("maybe").__enter__()  # type: ignore[arg-type]
