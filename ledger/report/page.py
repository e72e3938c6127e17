"""The report's HTML page: plotly's JavaScript inlined once, then each chart and the top-customers table."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from ledger.results import CustomerSummary

_CONFIG = {"displaylogo": False, "responsive": True}
_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; color: #222; }
h1 { margin-bottom: 0.2rem; } .meta { color: #666; margin-top: 0; }
section { margin: 2rem 0; } table { border-collapse: collapse; } .note { color: #a15c00; }
td, th { padding: 0.25rem 0.8rem; border-bottom: 1px solid #ddd; text-align: left; } td.number { text-align: right; }
"""


def points(figure: go.Figure) -> int:
    """Return how many data points a figure plots: cells with a value for heatmaps, x values for the others."""
    total = 0
    for trace in figure.data:
        if trace.type == "heatmap":
            total += sum(value is not None for row in trace.z for value in row)
        else:
            total += len(trace.x if trace.orientation != "h" or trace.type == "funnel" else trace.y)
    return total


def render(
    *,
    as_of: str,
    currency: str,
    customers: int,
    behind: int,
    charts: Sequence[tuple[str, go.Figure]],
    top: Sequence[CustomerSummary],
    restricted: int = 0,
) -> str:
    """Return the whole page (restricted: the customers it leaves out because their processing is restricted)."""
    sections = [_chart(name, figure) for name, figure in charts]
    sections.append(_top_table(top, currency))
    note = (
        f'<p class="note">The read models had not applied {behind} events of the log: build them with'
        " <code>ledger projections run</code> for complete figures.</p>"
        if behind
        else ""
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>Customer ledger report as of {escape(as_of)}</title><style>{_STYLE}</style>"
        f"<script>{get_plotlyjs()}</script></head><body>"
        f'<h1>Customer ledger report</h1><p class="meta">As of {escape(as_of)}; money in {escape(currency)};'
        f" {customers} customers; {restricted} left out (processing restricted).</p>{note}{''.join(sections)}</body></html>\n"
    )


def _chart(name: str, figure: go.Figure) -> str:
    div: Any = figure.to_html(full_html=False, include_plotlyjs=False, div_id=f"chart-{name}", config=_CONFIG)
    return f'<section id="{escape(name)}">{div}</section>'


def _top_table(top: Sequence[CustomerSummary], currency: str) -> str:
    head = f"<tr><th>customer</th><th>spend, 365 days ({escape(currency)})</th><th>segment</th><th>stage</th><th>VIP</th></tr>"
    rows = "".join(
        f'<tr><td>{escape(c.customer)}</td><td class="number">{escape(c.spend_365 or "")}</td>'
        f"<td>{escape(c.value_segment or '')}</td><td>{escape(c.stage)}</td><td>{'yes' if c.vip else ''}</td></tr>"
        for c in top
    )
    return f'<section id="top-customers-table"><h2>Top customers</h2><table>{head}{rows}</table></section>'
