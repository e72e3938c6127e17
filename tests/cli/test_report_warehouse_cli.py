"""`ledger report` and `ledger export warehouse` through the CLI: files written, summaries, usage errors."""

from __future__ import annotations

import json

from click.testing import CliRunner

from cli import main


def _db(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    runner = CliRunner()
    for args in (
        ["append", "purchase", "--customer", "C-1", "--at", "2024-05-01", "order_id=O-1", "amount=19.90", "currency=EUR"],
        ["append", "contact", "--customer", "C-1", "--at", "2024-05-02", "channel=phone"],
    ):
        assert runner.invoke(main, ["--db", url, *args]).exit_code == 0
    return url


def test_export_warehouse_writes_then_adds_nothing(tmp_path):
    url, out = _db(tmp_path), tmp_path / "wh"
    first = CliRunner().invoke(main, ["--db", url, "export", "warehouse", str(out), "--json"])
    assert first.exit_code == 0, first.output
    summary = json.loads(first.stdout)
    assert (summary["sequence"], summary["position"], summary["rows"]["fact_purchases"]) == (1, 2, 1)
    assert json.loads((out / "manifest.json").read_text())["position"] == 2
    again = CliRunner().invoke(main, ["--db", url, "export", "warehouse", str(out)])
    assert again.exit_code == 0 and "Nothing to export" in again.stderr


def test_export_warehouse_takes_only_parquet(tmp_path):
    result = CliRunner().invoke(main, ["--db", _db(tmp_path), "export", "warehouse", str(tmp_path / "wh"), "--format", "csv"])
    assert result.exit_code == 2 and "csv" in result.output


def test_report_writes_one_html_file(tmp_path):
    url, page = _db(tmp_path), tmp_path / "report.html"
    result = CliRunner().invoke(main, ["--db", url, "report", "--html", str(page), "--as-of", "2024-05-31"])
    assert result.exit_code == 0, result.output
    assert "7 charts, 1 customers, as of 2024-05-31" in result.stderr
    assert page.read_text().count("Plotly.newPlot") == 7


def test_report_needs_an_html_file(tmp_path):
    result = CliRunner().invoke(main, ["--db", _db(tmp_path), "report"])
    assert result.exit_code == 2 and "--html" in result.output
