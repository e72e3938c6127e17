"""Medians, ratios to baselines and targets: the table for people and the JSON for later comparison."""

from __future__ import annotations

import statistics
from typing import Any

from tabulate import tabulate

from bench.registry import Comparison
from bench.runner import ScenarioResult

NOTE_WIDTH = 70
HEADERS = ["scenario", "median", "min–max", "peak MiB", "baseline", "ratio", "target", "met"]


def summarise(results: list[ScenarioResult]) -> list[dict[str, Any]]:
    """Return one JSON-ready record per scenario, with each comparison's ratio and whether its target is met."""
    medians = {r.scenario.name: statistics.median(r.values) for r in results if r.status == "ok"}
    records = []
    for result in results:
        median = medians.get(result.scenario.name)
        records.append(
            {
                "scenario": result.scenario.name,
                "group": result.scenario.group,
                "backend": result.scenario.backend,
                "status": result.status,
                "note": result.note,
                "unit": result.unit,
                "events": result.events,
                "runs": result.values,
                "median": median,
                "min": min(result.values, default=None),
                "max": max(result.values, default=None),
                "peak_memory_mib": round(result.peak_memory_mib, 1),
                "comparisons": [_compare(c, median, medians, result.unit) for c in result.scenario.comparisons],
            }
        )
    return records


def _compare(comparison: Comparison, median: float | None, medians: dict[str, float], unit: str) -> dict[str, Any]:
    """Return the ratio to the baseline and whether the target (on the ratio, or on the median itself) is met."""
    ratio = None
    if comparison.baseline is not None:
        baseline = medians.get(comparison.baseline)
        ratio = median / baseline if median is not None and baseline else None
    measured = median if comparison.baseline is None else ratio
    met = "n.a." if measured is None or not comparison.has_target else "yes" if comparison.is_met(measured) else "no"
    return {
        "baseline": comparison.baseline,
        "ratio": ratio,
        "target": _describe_target(comparison, unit),
        "met": met,
    }


def _describe_target(comparison: Comparison, unit: str) -> str:
    if not comparison.has_target:
        return "—"
    low, high = comparison.at_least, comparison.at_most
    if comparison.baseline is not None:
        if low is not None and high is not None:
            return f"{low:g}–{high:g}×"
        return f"≥ {low:g}×" if low is not None else f"≤ {high:g}×"
    if low is not None:
        return f"≥ {_value(low, unit)}"
    return f"≤ {_value(high or 0.0, unit)}"


def table(records: list[dict[str, Any]]) -> str:
    """Return the results as a text table, one row per comparison."""
    rows: list[list[str]] = []
    for record in records:
        first = [record["scenario"], *_measured_cells(record)]
        comparisons = record["comparisons"] or [{"baseline": None, "ratio": None, "target": "—", "met": "n.a."}]
        for index, comparison in enumerate(comparisons):
            ratio = f"{comparison['ratio']:.2f}×" if comparison["ratio"] is not None else "—"
            cells = first if index == 0 else ["", "", "", ""]
            rows.append([*cells, comparison["baseline"] or "—", ratio, comparison["target"], comparison["met"]])
    return tabulate(rows, headers=HEADERS, tablefmt="github", disable_numparse=True)


def _measured_cells(record: dict[str, Any]) -> list[str]:
    if record["status"] != "ok":
        return [record["status"], record["note"][:NOTE_WIDTH], ""]
    unit = record["unit"]
    spread = f"{_number(record['min'], unit)}–{_number(record['max'], unit)}"
    return [_value(record["median"], unit), spread, f"{record['peak_memory_mib']:.0f}"]


def _number(value: float, unit: str) -> str:
    return f"{value:,.0f}" if unit == "events/s" else f"{value:.2f}"


def _value(value: float, unit: str) -> str:
    return f"{value:,.0f}/s" if unit == "events/s" else f"{value:.2f} ms"
