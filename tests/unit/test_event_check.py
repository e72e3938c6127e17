"""Checking stored events on their bytes, without a database: any customer key, any changed byte."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from commands.events import ContactLogged
from commands.records import GENESIS_HASH, TOPIC_BY_TYPE, seal, stored_state, stream_id_for
from ledger.audit.event_check import StreamWalk, VerificationFailedError


class DriverOnly:
    """The one thing the checks ask of a store: stream ids in the driver's form (SQLite's 16 bytes)."""

    @staticmethod
    def driver_uuid(stream_id: UUID) -> bytes:
        return stream_id.bytes


def sealed_stream(customer: str, events: int = 3) -> list[tuple[int, bytes, int, str, bytes]]:
    """Rows of one customer's stream at positions 1..events, as the write path stores them."""
    rows, prev = [], GENESIS_HASH
    stream = stream_id_for(customer)
    for version in range(1, events + 1):
        state = stored_state(
            event_id=f"E-{version}",
            customer=customer,
            occurred_at=datetime(2024, 1, version, tzinfo=UTC),
            recorded_at=datetime(2024, 2, 1, tzinfo=UTC),
            source=None,
            actor=None,
            correlation_id=None,
            data=ContactLogged(channel="web", topic=f"t{version}"),
            prev_hash=prev,
        )
        raw, prev = seal(version, str(stream), version, state)
        rows.append((version, stream.bytes, version, TOPIC_BY_TYPE["contact"], raw))
    return rows


customers = st.text(min_size=1, max_size=20).filter(lambda key: key.strip() == key and key)


@given(customer=customers)
def test_any_customer_key_verifies(customer: str):
    rows = sealed_stream(customer)
    hashes: list[bytes] = []
    StreamWalk(DriverOnly()).check(rows, hashes)  # type: ignore[arg-type]
    assert hashes == [raw[-66:-2] for *_, raw in rows]


@given(customer=customers, data=st.data())
def test_any_changed_byte_is_caught(customer: str, data: st.DataObject):
    rows = sealed_stream(customer)
    position, stream, version, topic, raw = rows[1]
    index = data.draw(st.integers(0, len(raw) - 1))
    byte = data.draw(st.integers(0, 255).filter(lambda b: b != raw[index]))
    rows[1] = (position, stream, version, topic, raw[:index] + bytes([byte]) + raw[index + 1 :])
    with pytest.raises(VerificationFailedError) as caught:
        StreamWalk(DriverOnly()).check(rows, [])  # type: ignore[arg-type]
    assert caught.value.position == 2


@pytest.mark.parametrize("index", [-1, -2, -66, -67, -75, -76, 0, 1])
def test_changed_bytes_at_the_edges_are_caught(index: int):
    """The seal's own bytes too (found by the property above): a valid hash in a changed frame is not a valid event."""
    rows = sealed_stream("C-1")
    position, stream, version, topic, raw = rows[1]
    changed = bytearray(raw)
    changed[index] = ord("X") if raw[index] != ord("X") else ord("Y")
    rows[1] = (position, stream, version, topic, bytes(changed))
    with pytest.raises(VerificationFailedError):
        StreamWalk(DriverOnly()).check(rows, [])  # type: ignore[arg-type]


def test_a_stream_joined_mid_log_notes_its_link():
    rows = sealed_stream("C-1")
    walk = StreamWalk(DriverOnly(), joining=True)  # type: ignore[arg-type]
    walk.check(rows[1:], [])
    assert walk.joins == {rows[0][1]: (2, 2, rows[0][4][-66:-2])}
