"""The one renderer: any result type as a text table, JSON lines or CSV, new fields included."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal

from pydantic import BaseModel

from ledger import output
from ledger.results import ClvRow, CustomerSummary, StageChange


@dataclass(frozen=True, slots=True)
class Sample:
    """A result with every kind of value a renderer meets."""

    customer: str
    spend: dict[str, str]
    history: list[StageChange]
    score: float | None
    count: int
    flagged: bool
    money: Decimal = Decimal("70.00")
    tags: list[str] = field(default_factory=list)


class Document(BaseModel):
    position: int
    root: str


SAMPLE = Sample(
    "0012", {"EUR": "70.00"}, [StageChange("2024-01-01", "potential"), StageChange("2024-02-01", "growth")], 33.333, 3, True
)


def test_json_lines_use_the_field_names_and_keep_decimal_text(capsys):
    output.write_rows([SAMPLE, SAMPLE], "json")
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    first = json.loads(lines[0])
    assert list(first) == ["customer", "spend", "history", "score", "count", "flagged", "money", "tags"]
    assert first["customer"] == "0012" and first["money"] == "70.00" and first["spend"] == {"EUR": "70.00"}
    assert first["history"] == [{"day": "2024-01-01", "stage": "potential"}, {"day": "2024-02-01", "stage": "growth"}]
    assert (first["score"], first["count"], first["flagged"], first["tags"]) == (33.333, 3, True, [])


def test_numbers_are_written_as_exact_json_numbers():
    line = output.json_line(ClvRow("C-1", "2.0000", "1.2857142857", "30.0000", "0.1000"), numbers=("frequency", "recency"))
    assert line == b'{"customer":"C-1","frequency":2.0000,"recency":1.2857142857,"T":"30.0000","monetary_value":"0.1000"}\n'


def test_csv_has_a_header_nested_values_as_json_and_empty_for_none(capsys):
    output.write_rows([SAMPLE, Sample("C-2", {}, [], None, 0, False)], "csv")
    header, first, second = capsys.readouterr().out.splitlines()
    assert header == "customer,spend,history,score,count,flagged,money,tags"
    assert first == (
        '0012,"{""EUR"":""70.00""}","[{""day"":""2024-01-01"",""stage"":""potential""},'
        '{""day"":""2024-02-01"",""stage"":""growth""}]",33.333,3,True,70.00,[]'
    )
    assert second == "C-2,{},[],,0,False,70.00,[]"


def test_csv_without_rows_still_prints_the_header_of_the_row_type(capsys):
    output.write_rows([], "csv", row_type=CustomerSummary)
    assert capsys.readouterr().out == "customer,stage,churn_risk,purchase_days,recency_days,spend_365,rfm,value_segment,vip\n"


def test_tables_spell_out_nested_values_and_never_reparse_decimal_text(capsys):
    output.write_rows([SAMPLE], "table")
    header, rule, row = capsys.readouterr().out.splitlines()
    assert header.split() == ["customer", "spend", "history", "score", "count", "flagged", "money", "tags"]
    assert set(rule) == {"-", " "}
    assert row.startswith("0012 ")  # not 12: text stays text
    assert "EUR=70.00" in row and "potential (2024-01-01), growth (2024-02-01)" in row
    assert " 33.3 " in row and " 70.00" in row and "True" in row


def test_an_empty_table_says_none_on_stderr(capsys):
    output.write_rows([], "table")
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == ("", "(none)\n")


def test_one_result_as_a_table_is_field_and_value_per_line(capsys):
    output.write_one(SAMPLE, "table")
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["customer", "0012"]
    assert lines[2].split(maxsplit=1) == ["history", "potential (2024-01-01), growth (2024-02-01)"]
    assert lines[3].split() == ["score", "33.3"]


def test_pydantic_models_mappings_and_json_forms_render_too(capsys):
    class Event:
        def to_json_dict(self) -> dict[str, object]:
            return {"position": 1, "data": {"channel": "web"}}

    output.write_one(Document(position=3, root="ab"), "json")
    output.write_rows([{"a": 1}], "json")
    output.write_rows([Event()], "csv")
    assert capsys.readouterr().out.splitlines() == [
        '{"position":3,"root":"ab"}',
        '{"a":1}',
        "position,data",
        '1,"{""channel"":""web""}"',
    ]


def test_a_field_added_to_a_result_appears_in_every_format(capsys):
    @dataclass
    class Grown:
        customer: str
        churn_score: float

    for fmt in output.OUTPUT_FORMATS:
        output.write_rows([Grown("C-1", 0.25)], fmt)
    out = capsys.readouterr().out
    assert out.count("churn_score") == 3 and '"churn_score":0.25' in out and "C-1,0.25" in out
