"""Random JSON lines and CSV rows through `ledger import` on SQLite and PostgreSQL: no traceback, every line accounted for."""

from __future__ import annotations

import csv
import io
import itertools
import json

from click.testing import CliRunner
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from cli import main
from ledger.application import Ledger
from ledger.config import LedgerConfig

FIELDS = ["type", "customer", "occurred_at", "event_id", "channel", "order_id", "amount", "quantity", "score", "kind", "data"]
TEXT = st.text(st.characters(codec="utf-8"), max_size=12)
SCALARS = st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False) | TEXT
JSON = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3), max_leaves=8)
ENVELOPE_VALUES = {
    "type": st.sampled_from(["contact", "purchase", "survey_answered", "refund", "nope"]) | JSON,
    "customer": TEXT | JSON,
    "occurred_at": st.sampled_from(["2024-01-01", "0001-01-01", "9999-12-31T23:59:59-14:00", "2024-13-01", 1700000000]) | TEXT,
    "event_id": TEXT,
    "data": st.dictionaries(st.sampled_from(FIELDS[4:]) | TEXT, JSON, max_size=4) | JSON,
}
VALID_DATA = {"channel": "web", "order_id": "O-1", "amount": "5", "survey_id": "S", "kind": "nps", "score": 9}


@st.composite
def _mutated_event(draw: st.DrawFn) -> dict:
    """A valid event of some type with one envelope field or data field replaced by a random value."""
    event_type = draw(st.sampled_from(["contact", "purchase", "survey_answered"]))
    wanted = {"contact": ["channel"], "purchase": ["order_id", "amount"], "survey_answered": ["survey_id", "kind", "score"]}
    event = {
        "type": event_type,
        "customer": "M-1",
        "occurred_at": "2024-01-01",
        "data": {k: VALID_DATA[k] for k in wanted[event_type]},
    }
    field = draw(st.sampled_from([*ENVELOPE_VALUES, *FIELDS[4:10]]))
    value = draw(ENVELOPE_VALUES.get(field, JSON | st.integers(-(2**70), 2**70)))
    (event if field in ENVELOPE_VALUES else event["data"])[field] = value
    return event


RANDOM_EVENT = _mutated_event() | st.fixed_dictionaries({}, optional=ENVELOPE_VALUES) | JSON
counter = itertools.count()
_EDGE = {"type": "contact", "customer": "E-1", "occurred_at": "2024-01-01", "data": {"channel": "web"}}


def _valid(number: int) -> dict:
    return {"type": "contact", "customer": f"V-{number}", "occurred_at": "2024-01-01", "data": {"channel": "web"}}


def _import(url: str, body: bytes, name: str) -> tuple[int, list[int], dict]:
    runner = CliRunner()
    result = runner.invoke(
        main, ["--db", url, "import", "--json", "--input-format", name, "-"], input=body, catch_exceptions=False
    )
    assert result.exit_code in (0, 1), result.output
    assert "Traceback" not in result.output
    records = [json.loads(line) for line in result.stdout.split("\n") if line]  # not splitlines: U+2028 is no line break in JSON
    return result.exit_code, [r["line"] for r in records if "line" in r], records[-1]


def _check(
    url: str, valid_customers: set[str], valid_lines: set[int], total_lines: int, reported: list[int], counts: dict
) -> None:
    assert not set(reported) & valid_lines, "a valid line was rejected"
    assert counts["stored"] + counts["duplicates"] + counts["rejected"] >= total_lines - 1  # a CSV header line is no event
    with Ledger(url, config=LedgerConfig()) as ledger:
        events = ledger.log(limit=100_000)
    assert valid_customers <= {e.customer for e in events}
    for event in events:  # what is stored reads back, and holds to the rules of the wire format
        assert event.customer.strip() and "\x00" not in event.customer
        assert event.occurred_at.year >= 1900


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(lines=st.lists(st.none() | RANDOM_EVENT, min_size=1, max_size=12))
@example(lines=[None, {**_EDGE, "occurred_at": "9999-12-31T23:59:59-14:00"}, {**_EDGE, "customer": "\x00"}, None])
@example(lines=[{**_EDGE, "data": {"channel": "web", "topic": "x" * 10_000}}, {**_EDGE, "occurred_at": 1700000000}])
def test_random_json_lines(db_url, lines):
    run = next(counter)
    texts, valid_lines, valid_customers = [], set(), set()
    for number, item in enumerate(lines, start=1):
        if item is None:
            event = _valid(run * 100 + number)
            valid_lines.add(number)
            valid_customers.add(event["customer"])
            texts.append(json.dumps(event))
        else:
            texts.append(json.dumps(item, ensure_ascii=False) if not isinstance(item, str) else item.replace("\n", " "))
    body = ("\n".join(texts) + "\n").encode("utf-8", "surrogatepass")
    before = _stored(db_url)
    _, reported, counts = _import(db_url, body, "jsonl")
    assert _stored(db_url) - before == counts["stored"]
    _check(db_url, valid_customers, valid_lines, len([t for t in texts if t.strip()]), reported, counts)


CELL = st.text(st.characters(codec="utf-8", exclude_characters="\r\n"), max_size=10)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(
    header=st.lists(st.sampled_from(FIELDS[:9]) | CELL, min_size=1, max_size=6),
    rows=st.lists(st.lists(CELL, max_size=7), max_size=8),
)
def test_random_csv_rows(db_url, header, rows):
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    before = _stored(db_url)
    _, reported, counts = _import(db_url, out.getvalue().encode(), "csv")
    assert _stored(db_url) - before == counts["stored"]
    assert all(1 <= line <= len(rows) + 1 for line in reported)


def _stored(url: str) -> int:
    with Ledger(url, config=LedgerConfig()) as ledger:
        return len(ledger.log(limit=100_000))
