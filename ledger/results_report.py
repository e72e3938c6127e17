"""What the HTML report returns: the page and, for each chart, its plotly figure and how many points it plots."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class ReportChart:
    """One chart of the report: its name (the element id is ``chart-NAME``), title, points plotted and plotly figure (JSON)."""

    name: str
    title: str
    points: int
    figure: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Report:
    """The report: a self-contained HTML page (plotly's JavaScript inlined, no network needed) and its charts.

    ``behind`` is the most events of the log any of its queries' read models had not applied.
    """

    html: str
    as_of: str
    currency: str
    customers: int
    charts: list[ReportChart]
    behind: int = 0
    restricted: int = 0  # customers left out of every chart because their processing is restricted
