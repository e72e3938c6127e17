"""append and append_many with expected_version: stored only on the version given, checked in the write transaction."""

from __future__ import annotations

import pytest

from commands.errors import InvalidArgumentError
from ledger import Ledger, VersionConflictError


def purchase(order: str, customer: str = "C-1") -> dict[str, object]:
    return {"type": "purchase", "customer": customer, "data": {"order_id": order, "amount": "5.00"}}


def test_expected_version_stores_only_on_that_version(ledger: Ledger) -> None:
    assert ledger.append("purchase", "C-1", {"order_id": "O-1", "amount": "5.00"}, expected_version=0).position == 1
    with pytest.raises(VersionConflictError) as conflict:
        ledger.append_many([purchase("O-2")], expected_version=0)
    assert (conflict.value.customer, conflict.value.expected, conflict.value.current) == ("C-1", 0, 1)
    assert len(ledger.append_many([purchase("O-2"), purchase("O-3")], expected_version=1).stored) == 2
    with pytest.raises(VersionConflictError):
        ledger.append("purchase", "C-1", {"order_id": "O-4", "amount": "5.00"}, expected_version=1)
    assert [event.version for event in ledger.timeline("C-1")] == [1, 2, 3]


def test_expected_version_needs_one_customer_and_a_whole_number(ledger: Ledger) -> None:
    with pytest.raises(InvalidArgumentError, match="one customer"):
        ledger.append_many([purchase("O-1"), purchase("O-2", customer="C-2")], expected_version=0)
    with pytest.raises(InvalidArgumentError, match="whole number"):
        ledger.append_many([purchase("O-1")], expected_version=-1)
    assert ledger.log() == []
