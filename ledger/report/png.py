"""The report's charts as PNG files, through plotly's kaleido (which drives a local Chrome or Chromium)."""

from __future__ import annotations

from pathlib import Path

import plotly.graph_objects as go
import plotly.io as pio

from commands.errors import LedgerError
from ledger.results_report import Report

WIDTH = 1100


class ReportImageError(LedgerError):
    """The charts could not be drawn as PNG (no Chrome or Chromium for kaleido, or it failed)."""


def write_pngs(report: Report, directory: str | Path) -> list[Path]:
    """Write each chart of the report as NAME.png in directory (created if missing); return the files."""
    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    paths = [target / f"{chart.name}.png" for chart in report.charts]
    figures = [go.Figure(chart.figure) for chart in report.charts]
    try:
        # One browser for all the charts: kaleido starts Chromium once per call.
        pio.write_images(figures, paths, width=WIDTH)
    except (RuntimeError, OSError) as error:
        message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ReportImageError(
            f"cannot draw the charts as PNG: {message} (kaleido needs Chrome or Chromium; set BROWSER_PATH to one)"
        ) from None
    return paths
