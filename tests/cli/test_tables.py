"""Text tables for people: wide characters aligned, long values cut to the terminal, money and times in one form."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

import pytest
import wcwidth
from hypothesis import given
from hypothesis import strategies as st

from ledger import output, text_table
from ledger.results import CustomerSummary


@dataclass(frozen=True, slots=True)
class Named:
    name: str
    marker: str


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch):
    monkeypatch.delenv("COLUMNS", raising=False)


def lines_of(capsys) -> list[str]:
    return capsys.readouterr().out.splitlines()


def test_cjk_and_emoji_cells_keep_the_next_column_aligned(capsys):
    names = ["Zhang", "张伟", "😀 smile", "👩‍👩‍👧 family", "山田太郎さん"]
    output.write_rows([Named(name, "|") for name in names], "table")
    header, _rule, *rows = lines_of(capsys)
    # Every marker starts at the same terminal column, whatever the width of the characters before it.
    columns = {wcwidth.width(row[: row.index("|")]) for row in rows}
    assert len(columns) == 1
    assert columns == {wcwidth.width(header[: header.index("marker")])}


@given(st.lists(st.text(alphabet="ab张伟😀한글é", min_size=0, max_size=12), min_size=1, max_size=8))
def test_any_mix_of_narrow_and_wide_text_stays_aligned(names):
    rows = [[name, "|"] for name in names]
    table = text_table.table(["name", "marker"], rows, [False, False])
    starts = {wcwidth.width(line[: line.index("|")]) for line in table.splitlines()[2:]}
    assert len(starts) == 1


def test_long_values_are_cut_with_an_ellipsis_to_the_terminal_width(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "40")
    long = "x" * 100
    wide = "张" * 50
    output.write_rows([Named(long, "end"), Named(wide, "end")], "table")
    lines = lines_of(capsys)
    assert all(wcwidth.width(line) <= 40 for line in lines)
    assert lines[2].endswith("end") and lines[3].endswith("end")
    assert "x…" in lines[2] and "张…" in lines[3]


def test_short_columns_stay_whole_while_a_long_one_gives_way(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "50")
    output.write_rows([{"occurred_at": "2024-05-01T09:30:00+00:00", "data": "y" * 200}], "table")
    row = lines_of(capsys)[2]
    assert row.startswith("2024-05-01 09:30:00 UTC  ") and row.endswith("…") and len(row) == 50


def test_without_a_terminal_nothing_is_cut(capsys):
    output.write_rows([Named("x" * 500, "end")], "table")
    assert "x" * 500 in lines_of(capsys)[2]


def test_control_characters_in_values_are_shown_escaped(capsys):
    output.write_rows([Named("line\nbreak \x1b[31mred", "|")], "table")
    row = lines_of(capsys)[2]
    assert "\x1b" not in row and "line\\nbreak \\x1b[31mred" in row


def test_money_shows_its_currency_and_minor_units(capsys):
    rows = [
        CustomerSummary("C-1", "growth", False, 2, 3, "1234.5", "444", "champions", True),
        CustomerSummary("C-2", "growth", False, 2, 3, None, None, None, False),
    ]
    output.write_rows(rows, "table", money={"spend_365": "EUR"})
    first, second = lines_of(capsys)[2:]
    assert " 1234.50 EUR " in first and not second.rstrip().endswith("EUR")
    output.write_one(
        {"currency": "JPY", "total": "1500", "spend": {"JPY": "1500", "USD": "2.5"}},
        "table",
        money={"total": "currency", "spend": None},
    )
    lines = lines_of(capsys)
    assert lines[1].split() == ["total", "1500", "JPY"]
    assert lines[2].split(maxsplit=1) == ["spend", "1500 JPY, 2.50 USD"]


def test_json_and_csv_keep_the_bare_amounts(capsys):
    row = CustomerSummary("C-1", "growth", False, 2, 3, "1234.5", "444", "champions", True)
    output.write_rows([row], "json", money={"spend_365": "EUR"})
    output.write_rows([row], "csv", money={"spend_365": "EUR"})
    out = capsys.readouterr().out
    assert '"spend_365":"1234.5"' in out and ",1234.5," in out and "EUR" not in out


@pytest.mark.parametrize(
    "moment",
    [
        "2024-05-01T11:30:00+02:00",
        "2024-05-01T09:30:00Z",
        "2024-05-01T09:30:00.123456+00:00",
        datetime(2024, 5, 1, 9, 30, tzinfo=UTC),
        datetime(2024, 5, 1, 4, 30, tzinfo=timezone(timedelta(hours=-5))),
    ],
)
def test_times_are_shown_in_one_format_in_utc(moment):
    assert output.people_text(moment) == "2024-05-01 09:30:00 UTC"


def test_text_that_only_looks_like_a_time_is_left_alone():
    assert output.people_text("2024-05-01Tnot a time at all") == "2024-05-01Tnot a time at all"
    assert output.people_text("2024-05-01") == "2024-05-01"


def test_twenty_thousand_rows_render_quickly(capsys):
    import time

    rows = [
        CustomerSummary(f"C-{n:06d}", "maturity", n % 3 == 0, n % 40, n % 365, f"{n}.50", "423", "loyal", False)
        for n in range(20_000)
    ]
    started = time.perf_counter()
    output.write_rows(rows, "table", money={"spend_365": "EUR"})
    seconds = time.perf_counter() - started
    assert len(lines_of(capsys)) == 20_002
    # A list of every customer is printed in a fraction of the time its query takes.
    assert seconds < 2.0
