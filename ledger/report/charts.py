"""The report's charts as plotly figures, each built from the ledger's own typed results (no figure is computed here)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from decimal import Decimal

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ledger.results import ComplaintSummary, CustomerSummary, TrendRow
from ledger.results_analytics import CohortsResult
from projections.lifecycle import STAGES
from projections.rfm import SEGMENT_MAP

TOP_CUSTOMERS = 10
_SCORES = range(1, 6)
_LAYOUT = {"template": "plotly_white", "margin": {"l": 60, "r": 30, "t": 50, "b": 50}, "height": 420}


def lifecycle_funnel(customers: Sequence[CustomerSummary]) -> go.Figure:
    """Customers per lifecycle stage, with how many of each are at churn risk."""
    stages = Counter(c.stage for c in customers)
    risk = Counter(c.stage for c in customers if c.churn_risk)
    figure = go.Figure(
        go.Funnel(
            y=list(STAGES),
            x=[stages[s] for s in STAGES],
            customdata=[risk[s] for s in STAGES],
            textinfo="value+percent initial",
            hovertemplate="%{y}: %{x} customers, %{customdata} at churn risk<extra></extra>",
        )
    )
    return figure.update_layout(title="Lifecycle funnel", **_LAYOUT)


def segment_grid(customers: Sequence[CustomerSummary]) -> go.Figure:
    """Scored customers on the R x F grid, each cell named by its segment."""
    cells = Counter((int(c.rfm[0]), int(c.rfm[1])) for c in customers if c.rfm)
    z = [[cells[(r, f)] for r in _SCORES] for f in _SCORES]
    names = [[SEGMENT_MAP[(r, f)].replace("_", " ") for r in _SCORES] for f in _SCORES]
    figure = go.Figure(
        go.Heatmap(
            x=[f"R{r}" for r in _SCORES],
            y=[f"F{f}" for f in _SCORES],
            z=z,
            text=names,
            texttemplate="%{text}<br>%{z}",
            colorscale="Blues",
            hovertemplate="%{x} %{y}: %{text}, %{z} customers<extra></extra>",
        )
    )
    return figure.update_layout(title="RFM segments (recency x frequency)", **_LAYOUT)


def satisfaction_trends(trends: Sequence[TrendRow]) -> go.Figure:
    """NPS, CSAT and CES per period with their 95% margins of error; hollow markers flag small samples."""
    figure = make_subplots(rows=3, cols=1, shared_xaxes=True, subplot_titles=("NPS", "CSAT (%)", "CES"))
    for row, kind in enumerate(("nps", "csat", "ces"), start=1):
        shown = [t for t in trends if getattr(t, kind) is not None]
        small = [getattr(t, f"{kind}_small_sample") for t in shown]
        figure.add_trace(
            go.Scatter(
                name=kind.upper(),
                x=[t.period for t in shown],
                y=[getattr(t, kind) for t in shown],
                error_y={"type": "data", "array": [getattr(t, f"{kind}_margin") or 0 for t in shown], "visible": True},
                customdata=[
                    [getattr(t, f"{kind}_answers"), "small sample" if s else ""] for t, s in zip(shown, small, strict=True)
                ],
                mode="lines+markers",
                marker={"symbol": ["circle-open" if s else "circle" for s in small], "size": 8},
                hovertemplate="%{x}: %{y:.1f} (n=%{customdata[0]}) %{customdata[1]}<extra></extra>",
            ),
            row=row,
            col=1,
        )
    return figure.update_layout(title="Satisfaction by month (n = answers)", **{**_LAYOUT, "height": 720})


def complaint_trends(trends: Sequence[TrendRow]) -> go.Figure:
    """Complaints filed and resolved per period, and the median hours to first response and to resolution."""
    periods = [t.period for t in trends]
    figure = make_subplots(specs=[[{"secondary_y": True}]])
    figure.add_trace(go.Bar(name="filed", x=periods, y=[t.complaints_filed for t in trends]))
    figure.add_trace(go.Bar(name="resolved", x=periods, y=[t.complaints_resolved for t in trends]))
    for name, attribute in (
        ("median first response (h)", "median_first_response_hours"),
        ("median resolution (h)", "median_resolution_hours"),
    ):
        shown = [t for t in trends if getattr(t, attribute) is not None]
        figure.add_trace(
            go.Scatter(name=name, x=[t.period for t in shown], y=[getattr(t, attribute) for t in shown], mode="lines+markers"),
            secondary_y=True,
        )
    return figure.update_layout(title="Complaints by month", barmode="group", **_LAYOUT)


def sla_outcomes(complaints: Sequence[ComplaintSummary]) -> go.Figure:
    """Complaints whose first response and resolution met their SLA target, missed it, or are still pending."""
    steps = ("first response", "resolution")
    outcomes = {
        "met": [sum(c.response_met is True for c in complaints), sum(c.resolution_met is True for c in complaints)],
        "missed": [sum(c.response_met is False for c in complaints), sum(c.resolution_met is False for c in complaints)],
        "pending": [sum(c.response_met is None for c in complaints), sum(c.resolution_met is None for c in complaints)],
    }
    colours = {"met": "#2ca02c", "missed": "#d62728", "pending": "#bbbbbb"}
    figure = go.Figure(
        [go.Bar(name=name, x=list(steps), y=counts, marker_color=colours[name]) for name, counts in outcomes.items()]
    )
    return figure.update_layout(title="SLA outcomes", barmode="stack", **_LAYOUT)


def cohort_heatmap(cohorts: CohortsResult) -> go.Figure:
    """The cohort triangle: one row per acquisition period, one column per period since; blank where not reached."""
    width = max((len(c.values) for c in cohorts.cohorts), default=0)
    z = [[_number(v) for v in c.values] + [None] * (width - len(c.values)) for c in cohorts.cohorts]
    percent = cohorts.metric == "retention"
    figure = go.Figure(
        go.Heatmap(
            x=list(range(width)),
            y=[c.cohort for c in cohorts.cohorts],
            z=[[None if v is None else v * 100 for v in row] for row in z] if percent else z,
            customdata=[[c.size] * width for c in cohorts.cohorts],
            colorscale="Viridis",
            hoverongaps=False,
            hovertemplate="cohort %{y} (%{customdata} customers), +%{x}: %{z:.1f}" + ("%" if percent else "") + "<extra></extra>",
        )
    )
    unit = "% active" if percent else cohorts.currency or ""
    figure.update_yaxes(autorange="reversed", type="category")
    return figure.update_layout(
        title=f"Cohorts by first purchase {cohorts.by} ({cohorts.metric}, {unit})",
        xaxis_title=f"{cohorts.by}s since first purchase",
        **{**_LAYOUT, "height": max(420, 18 * len(cohorts.cohorts) + 120)},
    )


def top_customers(customers: Sequence[CustomerSummary], currency: str) -> go.Figure:
    """The customers with the most spend in the trailing 365 days."""
    top = top_spenders(customers)
    figure = go.Figure(
        go.Bar(
            x=[float(Decimal(c.spend_365 or "0")) for c in top],
            y=[c.customer for c in top],
            orientation="h",
            customdata=[[c.value_segment or "", c.stage] for c in top],
            hovertemplate="%{y}: %{x:,.2f} " + currency + " (%{customdata[0]}, %{customdata[1]})<extra></extra>",
        )
    )
    figure.update_yaxes(autorange="reversed")
    return figure.update_layout(title=f"Top customers by spend in the last 365 days ({currency})", **_LAYOUT)


def top_spenders(customers: Sequence[CustomerSummary]) -> list[CustomerSummary]:
    """Return the customers with the most trailing spend (ties by customer key), at most TOP_CUSTOMERS."""
    spenders = [c for c in customers if c.spend_365 is not None and Decimal(c.spend_365) > 0]
    return sorted(spenders, key=lambda c: (-Decimal(c.spend_365 or "0"), c.customer))[:TOP_CUSTOMERS]


def _number(value: float | str | None) -> float | None:
    return None if value is None else float(value)
