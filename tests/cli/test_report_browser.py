"""`ledger report --html` opened in headless Chromium: every chart renders its points, with no console error or request."""

from __future__ import annotations

import shutil

import pytest
from click.testing import CliRunner

from cli import main
from ledger import Ledger

pytestmark = pytest.mark.slow

# Debian's chromium (.ci/run installs it): playwright cannot download its own browser build here.
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# Per chart, what the page's plotly object plots: cells with a value (heatmaps) or x values (the others).
POINTS_JS = """() => [...document.querySelectorAll('.js-plotly-plot')].map(gd => ({
    id: gd.id,
    rendered: !!gd._fullLayout && gd.querySelectorAll('.main-svg').length > 0,
    points: gd.data.reduce((n, t) => n + (t.type === 'heatmap'
        ? t.z.flat().filter(v => v !== null).length
        : Array.from(t.orientation === 'h' && t.type !== 'funnel' ? t.y : t.x).length), 0),
    marks: gd.querySelectorAll('.point, .heatmaplayer image').length,
}))"""


@pytest.fixture
def shop(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    with Ledger(url) as ledger:
        rows = CliRunner().invoke(main, ["--db", url, "generate", "--customers", "60", "--seed", "4"]).output
        source = tmp_path / "sample.jsonl"
        source.write_text(rows)
        ledger.import_file(source)
        rates = tmp_path / "rates.csv"
        rates.write_text(CliRunner().invoke(main, ["rates", "sample", "--from", "2020-01-01"]).output)
        ledger.import_rates(rates)
    return url


def test_the_report_renders_offline_with_every_chart(shop, tmp_path):
    assert CHROMIUM, "chromium is not installed: apt-get install -y chromium (.ci/run does)"
    from playwright.sync_api import sync_playwright

    page_file, png_dir = tmp_path / "report.html", tmp_path / "png"
    result = CliRunner().invoke(
        main, ["--db", shop, "report", "--html", str(page_file), "--as-of", "2024-12-31", "--png", str(png_dir)]
    )
    assert result.exit_code == 0, result.output
    with Ledger(shop) as ledger:
        report = ledger.report(as_of="2024-12-31")
    expected = {f"chart-{c.name}": c.points for c in report.charts}
    assert sorted(p.name for p in png_dir.iterdir()) == sorted(f"{c.name}.png" for c in report.charts)
    assert all(p.stat().st_size > 5_000 and p.read_bytes()[:4] == b"\x89PNG" for p in png_dir.iterdir())

    errors: list[str] = []
    requests: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page()
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.route(
            "**/*",
            lambda route: (
                requests.append(route.request.url),
                route.continue_() if route.request.url.startswith("file:") else route.abort(),
            ),
        )
        page.goto(page_file.as_uri())
        page.wait_for_function(f"document.querySelectorAll('.js-plotly-plot .main-svg').length >= {len(expected)}")
        charts = page.evaluate(POINTS_JS)
        page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        browser.close()

    assert {c["id"]: c["points"] for c in charts} == expected
    assert all(c["rendered"] and c["marks"] > 0 for c in charts), charts
    assert expected["chart-lifecycle"] == 5 and expected["chart-segments"] == 25
    assert errors == []
    assert requests == [page_file.as_uri()]  # the page itself, and nothing from any network
    assert (tmp_path / "report.png").stat().st_size > 10_000
