"""The HTML report: lifecycle, segments, satisfaction, complaints and SLA, cohorts and top customers in one page."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import click

from cli_commands.options import MOMENT, LedgerContext


@click.command()
@click.option("--html", "html_file", required=True, type=click.Path(dir_okay=False), help="Write the report to this HTML file.")
@click.option("--as-of", type=MOMENT, help="The date the figures are computed for (the whole day; default today).")
@click.option("--currency", help="Report money in this currency (default the base currency).")
@click.option("--png", "png_dir", type=click.Path(file_okay=False), help="Also write each chart as NAME.png in this directory.")
@click.pass_obj
def report(obj: LedgerContext, html_file: str, as_of: datetime | date | None, currency: str | None, png_dir: str | None) -> None:
    """Write one self-contained HTML report (no network needed to open it).

    The lifecycle funnel, the RFM segment grid, NPS, CSAT and CES by month with their
    sample sizes and margins of error, complaints and SLA outcomes, the monthly cohort
    retention triangle as a heat map, and the top customers. The charts are plotly,
    its JavaScript inlined. Reads the ledger only. --png needs Chrome or Chromium
    (kaleido finds it, or BROWSER_PATH names it).

    Example:

        ledger report --html report.html --as-of 2024-12-31 --currency EUR --png charts/
    """
    from ledger import output
    from ledger.report.png import write_pngs

    found = obj.ledger.report(as_of=as_of, currency=currency)
    target = Path(html_file)
    partial = target.with_name(f".{target.name}.partial")
    partial.write_text(found.html, encoding="utf-8")
    partial.replace(target)  # complete or not at all
    if found.behind:
        output.message(f"Note: the read models are {found.behind} events behind the log (ledger projections run).")
    if found.restricted:
        output.message(f"Note: {found.restricted} restricted customers left out (see ledger restrict).")
    output.message(f"Wrote {target} ({len(found.charts)} charts, {found.customers} customers, as of {found.as_of}).")
    if png_dir is not None:
        paths = write_pngs(found, png_dir)
        output.message(f"Wrote {len(paths)} PNG files to {png_dir}.")
