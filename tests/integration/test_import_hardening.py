"""Imports of hostile or awkward files, id conflicts and failures part-way, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import create_engine, text

from commands.errors import EventIdConflictError, RuleViolationError
from ledger.application import Ledger
from ledger.config import LedgerConfig
from ledger.errors import ImportIncompleteError, ImportInterruptedError


def contact(customer: str = "C-1", **fields: object) -> dict:
    return {"type": "contact", "customer": customer, "occurred_at": "2024-01-01", "data": {"channel": "web"}, **fields}


def jsonl(*events: dict | str) -> io.BytesIO:
    return io.BytesIO(b"".join((e if isinstance(e, str) else json.dumps(e)).encode() + b"\n" for e in events))


def test_a_line_at_the_calendars_edge_is_one_rejected_line(ledger: Ledger):
    summary = ledger.import_file(jsonl(contact("A"), contact("B", occurred_at="9999-12-31T23:59:59-14:00"), contact("C")))
    assert (summary.stored, [p.line for p in summary.problems]) == (2, [2])
    assert "occurred_at" in summary.problems[0].message


def test_deeply_nested_json_is_one_rejected_line(ledger: Ledger):
    deep = '{"a":' * 1000 + "1" + "}" * 1000
    line = '{"type": "event_corrected", "customer": "C-1", "occurred_at": "2024-01-01", "data": {"changes": ' + deep + "}}"
    summary = ledger.import_file(jsonl(contact(), line))
    assert summary.stored == 1
    assert [p.line for p in summary.problems] == [2]
    assert "nested deeper than" in summary.problems[0].message


def test_a_nul_character_is_a_rejected_line_on_every_backend(ledger: Ledger):
    summary = ledger.import_file(jsonl(contact("C\u0000D"), contact(event_id="E\u0000"), contact("OK")))
    assert summary.stored == 1
    assert [p.line for p in summary.problems] == [1, 2]
    assert all("NUL" in p.message for p in summary.problems)


def test_an_integer_beyond_64_bits_is_a_rejected_line(ledger: Ledger):
    big = {"type": "purchase", "customer": "C-1", "occurred_at": "2024-01-01", "data": {"order_id": "O", "amount": 1}}
    big["data"]["quantity"] = 2**70
    summary = ledger.import_file(jsonl(big, contact()))
    assert summary.stored == 1
    assert summary.problems[0].message.startswith("data.quantity:")


def test_a_byte_order_mark_is_accepted_in_jsonl_and_csv(ledger: Ledger, tmp_path):
    assert ledger.import_file(io.BytesIO(b"\xef\xbb\xbf" + json.dumps(contact()).encode() + b"\n")).stored == 1
    path = tmp_path / "excel.csv"
    path.write_bytes("\ufefftype,customer,occurred_at,channel\ncontact,C-2,2024-01-01,web\n".encode())
    summary = ledger.import_file(path)
    assert (summary.stored, summary.problems) == (1, [])


def test_a_semicolon_csv_is_read_by_its_header(ledger: Ledger, tmp_path):
    path = tmp_path / "european.csv"
    path.write_text("type;customer;occurred_at;order_id;amount\npurchase;C-1;2024-01-01;O-1;19.90\n")
    summary = ledger.import_file(path)
    assert (summary.stored, summary.problems) == (1, [])
    path.write_text("type,customer,occurred_at,order_id,amount\npurchase,C-1,2024-01-02,O-2,5\n")
    assert ledger.import_file(path, delimiter=",").stored == 1


def test_a_header_without_the_required_columns_is_said_once_naming_the_columns_found(ledger: Ledger, tmp_path):
    path = tmp_path / "wrong.csv"
    path.write_text("kunde|zeit|kanal\n" + "C-1|2024-01-01|web\n" * 5)
    summary = ledger.import_file(path, csv_type="contact")
    [problem] = summary.problems
    assert problem.line == 1
    assert "'customer' column" in problem.message and "'occurred_at' column" in problem.message
    assert "'kunde|zeit|kanal'" in problem.message


def test_a_cp1252_line_is_reported_with_its_own_line_number(ledger: Ledger, tmp_path):
    path = tmp_path / "windows.csv"
    path.write_bytes(
        b"type,customer,occurred_at,channel\ncontact,C-1,2024-01-01,web\ncontact,Jos\xe9,2024-01-01,web\n"
        b"contact,C-3,2024-01-01,web\n"
    )
    summary = ledger.import_file(path)
    assert summary.stored == 2
    assert [(p.line, "UTF-8" in p.message) for p in summary.problems] == [(3, True)]


def test_an_empty_file_and_a_header_only_csv_import_nothing_and_reject_nothing(ledger: Ledger, tmp_path):
    empty = ledger.import_file(io.BytesIO(b"\xef\xbb\xbf\n"))
    assert (empty.stored, empty.duplicates, empty.problems) == (0, 0, [])
    path = tmp_path / "header.csv"
    path.write_text("type,customer,occurred_at\n")
    header_only = ledger.import_file(path)
    assert (header_only.stored, header_only.problems) == (0, [])


def test_blank_cells_are_absent_and_cells_are_trimmed(ledger: Ledger, tmp_path):
    path = tmp_path / "spaces.csv"
    path.write_text(" type , customer ,occurred_at,channel,topic\ncontact, C-1 ,2024-01-01, web ,   \n")
    summary = ledger.import_file(path)
    assert (summary.stored, summary.problems) == (1, [])
    [event] = ledger.log()
    assert (event.customer, event.data.channel, event.data.topic) == ("C-1", "web", None)


def test_a_reused_event_id_with_other_content_is_an_error_naming_both(ledger: Ledger):
    ledger.append("contact", "C-1", {"channel": "web"}, event_id="E-1")
    assert ledger.append("contact", "C-1", {"channel": "web"}, event_id="E-1").duplicate
    with pytest.raises(RuleViolationError) as caught:
        ledger.append("contact", "C-2", {"channel": "phone"}, event_id="E-1")
    message = str(caught.value)
    assert "'E-1'" in message and "'C-1'" in message and "'C-2'" in message and "position 1" in message
    result = ledger.append_many([contact("C-3", event_id="E-2"), contact("C-4", event_id="E-2"), contact("C-5", event_id="E-1")])
    assert [e.event_id for e in result.stored] == ["E-2"]
    assert result.duplicates == []
    assert [(r.index, type(r.error)) for r in result.rejected] == [(1, EventIdConflictError), (2, EventIdConflictError)]
    assert "earlier in this batch" in str(result.rejected[0].error)
    assert len(ledger.log()) == 2


def test_an_imported_line_reusing_an_event_id_is_rejected(ledger: Ledger):
    ledger.import_file(jsonl(contact(event_id="E-1")))
    summary = ledger.import_file(jsonl(contact(event_id="E-1"), contact("C-9", event_id="E-1")))
    assert (summary.stored, summary.duplicates, [p.line for p in summary.problems]) == (0, 1, [2])


def test_a_ledger_without_content_hashes_gets_the_column_and_keeps_its_ids(db_url):
    with Ledger(db_url, config=LedgerConfig()) as ledger:
        ledger.append("contact", "C-1", {"channel": "web"}, event_id="E-1")
    engine = create_engine(db_url)
    with engine.begin() as connection:
        connection.execute(text("ALTER TABLE ledger_event_ids DROP COLUMN content_hash"))
    engine.dispose()
    with Ledger(db_url, config=LedgerConfig()) as ledger:
        assert ledger.append("contact", "C-1", {"channel": "phone"}, event_id="E-1").duplicate  # no hash: a duplicate
        ledger.append("contact", "C-2", {"channel": "web"}, event_id="E-2")
        with pytest.raises(RuleViolationError):
            ledger.append("contact", "C-3", {"channel": "web"}, event_id="E-2")


def test_max_errors_stops_reading_and_stores_no_failing_line(ledger: Ledger):
    lines = [contact("A"), contact(customer=""), contact("B"), contact(customer=""), contact("C"), contact("D")]
    summary = ledger.import_file(jsonl(*lines), max_errors=2)
    assert summary.stopped_early
    assert [p.line for p in summary.problems] == [2, 4]
    assert summary.stored == 2
    assert [e.customer for e in ledger.log()] == ["A", "B"]


def test_a_failure_part_way_reports_what_was_stored_and_a_rerun_completes_it(ledger: Ledger, monkeypatch):
    store, writes = ledger.store, []
    real_write = store.write

    def failing_write():
        writes.append(1)
        if len(writes) == 3:
            from ledger.errors import DatabaseUnavailableError

            raise DatabaseUnavailableError("database write failed: disk full")
        return real_write()

    monkeypatch.setattr(store, "write", failing_write)
    body = jsonl(*[contact(f"C-{n}") for n in range(10)]).getvalue()
    with pytest.raises(ImportIncompleteError) as caught:
        ledger.import_file(io.BytesIO(body), batch_size=3)
    assert (caught.value.summary.stored, caught.value.summary.last_line) == (6, 6)
    assert "disk full" in str(caught.value) and "through line 6" in str(caught.value)
    assert "again completes it" in str(caught.value)
    monkeypatch.undo()
    again = ledger.import_file(io.BytesIO(body), batch_size=3)
    assert (again.stored, again.duplicates) == (4, 6)


def test_ctrl_c_part_way_reports_what_was_stored(ledger: Ledger):
    body = jsonl(*[contact(f"C-{n}") for n in range(10)]).getvalue()
    seen: list[int] = []

    def interrupt_late(read: int) -> None:
        seen.append(read)
        if len(seen) == 8:
            raise KeyboardInterrupt

    with pytest.raises(ImportInterruptedError) as caught:
        ledger.import_file(io.BytesIO(body), batch_size=3, on_progress=interrupt_late)
    assert caught.value.summary.stored == 6
    assert "through line 6" in str(caught.value)
    assert len(ledger.log()) == 6


def test_personal_fields_are_no_part_of_the_content_compared(ledger: Ledger):
    ledger.append("contact", "C-1", {"channel": "web", "note": "called about the bill"}, event_id="E-1")
    assert ledger.append("contact", "C-1", {"channel": "web", "note": "other words"}, event_id="E-1").duplicate
