"""The audit export, checked offline by the README's procedure, written here with hashlib and json only."""

from __future__ import annotations

import hashlib
import json

from click.testing import CliRunner

from cli import main
from ledger.application import Ledger
from tests.format_1 import rewrite_in_format_1


def offline_check(export: bytes) -> dict:
    """Follow README "Verifying an export" step by step; return the trailer or raise AssertionError."""
    body, _, last = export.rstrip(b"\n").rpartition(b"\n")
    body += b"\n"
    trailer = json.loads(last)["export"]
    assert hashlib.sha256(body).hexdigest() == trailer["sha256"], "export bytes changed"
    raw_lines = body.splitlines()
    assert len(raw_lines) == trailer["events"]
    previous: dict[str, str] = {}
    for raw_line in raw_lines:
        line = json.loads(raw_line)
        state = dict(line["state"])
        stored = state.pop("hash")
        if state.get("hash_format") == 2:
            unsealed = raw_line[raw_line.index(b'"state":') + len(b'"state":') : raw_line.rindex(b',"hash":"')]
            hashed = f"{line['position']}:{line['stream']}:{line['version']}:".encode() + unsealed
        else:
            state.update(position=line["position"], stream=line["stream"], version=line["version"])
            hashed = json.dumps(state, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
        assert hashlib.sha256(hashed).hexdigest() == stored, f"content changed at {line['position']}"
        assert line["state"]["prev_hash"] == previous.get(line["stream"], "0" * 64), f"chain broken at {line['position']}"
        previous[line["stream"]] = stored
    return trailer


def fill(ledger: Ledger) -> None:
    ledger.append(
        "customer_registered", "C-1", {"name": "Zoë Ğ", "attributes": {"tier": "gold"}}, occurred_at="2024-01-01", event_id="R"
    )
    ledger.append("purchase", "C-1", {"order_id": "O-1", "amount": "12.5"}, occurred_at="2024-02-01", event_id="P")
    ledger.append("contact", "C-2", {"channel": "wechat"}, occurred_at="2024-02-02", event_id="X")
    ledger.void("P", "test order", actor="auditor")


def test_export_verifies_offline_and_tampering_shows(ledger: Ledger, db_url):
    fill(ledger)
    export = CliRunner().invoke(main, ["--db", db_url, "export", "events"]).stdout_bytes
    trailer = offline_check(export)
    assert (trailer["events"], trailer["log_position"]) == (4, 4)
    assert trailer["log_root"] == ledger.digest().root
    tampered = export.replace(b'"12.50"', b'"1.25"')
    try:
        offline_check(tampered)
    except AssertionError as error:
        assert "export bytes changed" in str(error)
    else:
        raise AssertionError("a changed export passed")


def test_export_of_events_in_hash_format_1_verifies_offline(ledger: Ledger, db_url):
    fill(ledger)
    rewrite_in_format_1(ledger)
    ledger.append("contact", "C-1", {"channel": "email"}, occurred_at="2024-03-01", event_id="Y")  # format 2 after 1
    export = CliRunner().invoke(main, ["--db", db_url, "export", "events"]).stdout_bytes
    assert offline_check(export)["events"] == 5
    assert export.count(b'"hash_format":2') == 1


def test_export_filters_by_customer_and_time(ledger: Ledger, db_url):
    fill(ledger)
    runner = CliRunner()
    one = offline_check(runner.invoke(main, ["--db", db_url, "export", "events", "--customer", "C-1"]).stdout_bytes)
    assert one["events"] == 3
    february = runner.invoke(
        main, ["--db", db_url, "export", "events", "--from", "2024-02-01", "--to", "2024-02-01"]
    ).stdout_bytes
    lines = february.splitlines()
    assert [json.loads(x)["state"]["type"] for x in lines[:-1]] == ["purchase", "event_voided"]  # P and its void
    assert json.loads(lines[-1])["export"]["events"] == 2


def test_csv_export_has_a_header_and_a_digest_comment(ledger: Ledger, db_url):
    fill(ledger)
    export = CliRunner().invoke(main, ["--db", db_url, "export", "events", "--format", "csv"]).stdout_bytes
    lines = export.decode().splitlines()
    assert lines[0].startswith("position,stream,version,type,event_id,customer")
    assert len(lines) == 6
    trailer = json.loads(lines[-1].removeprefix("# "))["export"]
    body = export[: export.rindex(b"# {")]
    assert hashlib.sha256(body).hexdigest() == trailer["sha256"]


def test_empty_export(ledger: Ledger, db_url):
    export = CliRunner().invoke(main, ["--db", db_url, "export", "events"]).stdout_bytes
    assert json.loads(export)["export"]["events"] == 0


def test_time_window_keeps_the_corrections_of_exported_events(ledger: Ledger, db_url):
    fill(ledger)  # the void of P (February) is recorded now, with occurred_at now
    export = CliRunner().invoke(main, ["--db", db_url, "export", "events", "--to", "2024-02-01"]).stdout_bytes
    types = [json.loads(x)["state"]["type"] for x in export.splitlines()[:-1]]
    assert types == ["customer_registered", "purchase", "event_voided"]
