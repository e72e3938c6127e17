"""Importing: idempotent re-import, batch boundaries change nothing, progress is reported for every format."""

from __future__ import annotations

import io
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.application import Ledger
from ledger.config import LedgerConfig

customers = st.sampled_from(["C-1", "C-2", "C-3"])
days = st.integers(min_value=1, max_value=28).map(lambda d: f"2024-02-{d:02d}")
orders = st.sampled_from(["O-1", "O-2"])
events = st.one_of(
    st.builds(
        lambda c, d, ch: {"type": "contact", "customer": c, "occurred_at": d, "data": {"channel": ch}},
        customers,
        days,
        st.sampled_from(["web", "sms", "wechat"]),
    ),
    st.builds(
        lambda c, d, o, a: {"type": "purchase", "customer": c, "occurred_at": d, "data": {"order_id": o, "amount": str(a)}},
        customers,
        days,
        orders,
        st.integers(min_value=0, max_value=50),
    ),
    st.builds(
        lambda c, d, o, a: {"type": "refund", "customer": c, "occurred_at": d, "data": {"order_id": o, "amount": str(a)}},
        customers,
        days,
        orders,
        st.integers(min_value=1, max_value=30),
    ),
    st.builds(
        lambda c, d, k, t: {
            "type": t,
            "customer": c,
            "occurred_at": d,
            "data": {"complaint_id": k, "severity": "low"} if t == "complaint_filed" else {"complaint_id": k},
        },
        customers,
        days,
        st.sampled_from(["K-1", "K-2"]),
        st.sampled_from(["complaint_filed", "complaint_resolved", "complaint_reopened", "complaint_responded"]),
    ),
)


def _import(ledger: Ledger, lines: list[dict], batch_size: int):
    source = io.BytesIO("".join(json.dumps(line) + "\n" for line in lines).encode())
    return ledger.import_file(source, batch_size=batch_size)


def _contents(ledger: Ledger) -> list[tuple]:
    return [
        (e.event_id, e.customer, e.version, e.type, e.data, e.prev_hash == "" or len(e.hash)) for e in ledger.log(limit=10_000)
    ]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(events, max_size=30), batch_size=st.integers(min_value=1, max_value=8))
def test_import_is_idempotent_and_batch_size_does_not_matter(tmp_path_factory, lines, batch_size):
    folder = tmp_path_factory.mktemp("prop")
    with (
        Ledger(f"sqlite:///{folder / 'one.db'}", config=LedgerConfig()) as whole,
        Ledger(f"sqlite:///{folder / 'split.db'}", config=LedgerConfig()) as split,
    ):
        first = _import(whole, lines, batch_size=1000)
        stored_first = _contents(whole)
        second = _import(whole, lines, batch_size=1000)
        # Nothing stored is stored again; only a line rejected before (say, a refund
        # ahead of its purchase in the file) may pass now that its stream has moved on.
        assert second.stored <= first.rejected
        assert _contents(whole)[: len(stored_first)] == stored_first
        again = _import(split, lines, batch_size=batch_size)
        assert (again.stored, again.duplicates, [p.line for p in again.problems]) == (
            first.stored,
            first.duplicates,
            [p.line for p in first.problems],
        )
        assert stored_first == _contents(split)
        assert first.stored + first.duplicates + first.rejected == len(lines)


def test_progress_counts_every_byte_read_of_a_csv_or_json_lines_file(ledger: Ledger):
    files = {
        "csv": b"type,customer,occurred_at,data.channel\ncontact,C-1,2024-02-01,web\ncontact,C-2,2024-02-02,sms\n",
        "jsonl": b"".join(json.dumps(line).encode() + b"\n" for line in [_contact("C-3"), _contact("C-4")]),
    }
    for file_format, content in files.items():
        read: list[int] = []
        summary = ledger.import_file(io.BytesIO(content), file_format=file_format, on_progress=read.append)
        assert (summary.stored, summary.problems, sum(read)) == (2, [], len(content)), file_format


def _contact(customer: str) -> dict:
    return {"type": "contact", "customer": customer, "occurred_at": "2024-02-03", "data": {"channel": "web"}}
