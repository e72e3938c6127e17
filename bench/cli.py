"""``python -m bench``: run the suite, print the table, write bench/results/latest.json."""

from __future__ import annotations

import json
import os
import platform
import sqlite3
import sys
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

import click

from bench.registry import SCENARIOS, Scenario
from bench.report import summarise, table
from bench.runner import SetupError, run_suite
from bench.sizes import FULL, QUICK

DEFAULT_OUTPUT = Path(__file__).parent / "results" / "latest.json"
POSTGRES_ENV = "LEDGER_TEST_POSTGRES_URL"


@click.command(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--quick", is_flag=True, help="2,000 customers (about 21,000 events), 2 runs each: under 2 minutes.")
@click.option("--runs", type=click.IntRange(min=1), help="Runs per scenario (default 3, or 2 with --quick).")
@click.option("--only", "only", multiple=True, help="Run the scenarios whose name contains this text, and their baselines.")
@click.option(
    "--output", type=click.Path(dir_okay=False, path_type=Path), default=DEFAULT_OUTPUT, show_default=True, help="JSON results."
)
def main(quick: bool, runs: int | None, only: tuple[str, ...], output: Path) -> None:
    """Benchmark the ledger against raw SQLite, raw PostgreSQL and the plain eventsourcing library.

    PostgreSQL scenarios run when LEDGER_TEST_POSTGRES_URL is set. The exit
    code is 1 only if a scenario failed (an error, or events lost or
    duplicated), never because of speed.

    Example:

        python -m bench --quick --only import
    """
    size = QUICK if quick else FULL
    scenarios = _select(only)
    postgres_url = os.environ.get(POSTGRES_ENV) or None
    started = time.perf_counter()
    started_at = datetime.now(UTC)
    load_before = os.getloadavg()

    def say(message: str) -> None:
        click.echo(f"[{time.perf_counter() - started:6.1f} s] {message}", err=True)

    try:
        data, results = run_suite(size, scenarios, runs=runs or size.runs, postgres_url=postgres_url, say=say)
    except SetupError as error:
        raise click.ClickException(str(error)) from None
    records = summarise(results)
    seconds = time.perf_counter() - started
    document = {
        "size": asdict(size),
        "started_at": started_at.isoformat(timespec="seconds"),
        "seconds": round(seconds, 1),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version,
            "postgres": postgres_url is not None,
            "load_average_before": load_before,
            "load_average_after": os.getloadavg(),
        },
        "data": {"events": data.events, "growth_events": data.growth_events},
        "scenarios": records,
    }
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(document, indent=2) + "\n")
    click.echo(
        f"{size.name} run: {data.events:,} events of {size.customers:,} customers, "
        f"{runs or size.runs} runs each, {seconds:.0f} s, load {load_before[0]:.1f} → {os.getloadavg()[0]:.1f}"
    )
    click.echo(table(records))
    click.echo(f"written to {output}", err=True)
    if any(r.status == "failed" for r in results):
        sys.exit(1)


def _select(only: tuple[str, ...]) -> list[Scenario]:
    """Return the scenarios matching any of the texts, plus the baselines they compare to, in table order."""
    if not only:
        return list(SCENARIOS)
    chosen = {s.name for s in SCENARIOS if any(text.lower() in s.name.lower() for text in only)}
    if not chosen:
        raise click.BadParameter(f"no scenario matches {', '.join(only)}", param_hint="--only")
    chosen |= {c.baseline for s in SCENARIOS if s.name in chosen for c in s.comparisons if c.baseline}
    return [s for s in SCENARIOS if s.name in chosen]
