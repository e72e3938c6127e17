"""The benchmark suite's wiring, without running it (CI runs ``python -m bench --quick``)."""

from __future__ import annotations

from bench.child import resolve
from bench.cli import _select
from bench.registry import SCENARIOS, Scenario, absolute, ratio
from bench.report import summarise, table
from bench.runner import ScenarioResult


def test_every_scenario_resolves_and_compares_to_an_earlier_scenario():
    names: list[str] = []
    for scenario in SCENARIOS:
        assert callable(resolve(scenario.function)), scenario.name
        for comparison in scenario.comparisons:
            assert comparison.baseline is None or comparison.baseline in names, scenario.name
        names.append(scenario.name)
    assert len(names) == len(set(names))


def test_ratios_targets_and_missing_baselines():
    base = ScenarioResult(Scenario("raw", "m:f", "raw"), values=[100.0, 300.0, 200.0], unit="events/s")
    skipped = ScenarioResult(Scenario("raw pg", "m:f", "raw", backend="postgres"), status="skipped", note="no URL")
    ledger = ScenarioResult(
        Scenario("ledger", "m:f", "ledger", (ratio("raw", 0.3), ratio("raw", at_most=0.1), ratio("raw pg", 0.3), absolute(50))),
        values=[70.0],
        unit="events/s",
    )
    records = summarise([base, skipped, ledger])
    assert records[0]["median"] == 200.0
    outcomes = [(c["ratio"], c["met"]) for c in records[2]["comparisons"]]
    assert outcomes == [(0.35, "yes"), (0.35, "no"), (None, "n.a."), (None, "yes")]
    assert "≥ 0.3×" in table(records) and "skipped" in table(records)


def test_only_brings_the_baselines_along():
    chosen = [s.name for s in _select(("verify",))]
    assert chosen == ["raw scan + sha256", "verify", "verify, one process"]
    assert [s.name for s in _select(("rebuild, tenth",))] == ["rebuild", "rebuild, tenth size"]
