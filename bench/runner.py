"""Generate the data once, then run every scenario several times, each run in a fresh subprocess."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Literal

import orjson

from bench.context import RunContext
from bench.registry import Need, Scenario
from bench.sizes import FIRST_DAY, HEAVY_CUSTOMER, HEAVY_EVENTS, LAST_DAY, SEED, Size, heavy_customer_events

ROOT = Path(__file__).resolve().parent.parent
RUN_TIMEOUT_S = 1200
ERROR_TAIL_CHARS = 200

Status = Literal["ok", "failed", "skipped"]


class SetupError(Exception):
    """Generating or importing the data failed: no scenario can run."""


@dataclass(slots=True)
class ScenarioResult:
    """Every run of one scenario."""

    scenario: Scenario
    status: Status = "ok"
    note: str = ""
    values: list[float] = field(default_factory=list)
    unit: str = ""
    events: int = 0
    peak_memory_mib: float = 0.0


@dataclass(frozen=True, slots=True)
class DataSet:
    """The generated files of a run, and how many events each holds."""

    events_file: str
    events: int
    growth_file: str | None
    growth_events: int
    populated_url: str | None
    projected_url: str | None = None


def run_suite(
    size: Size, scenarios: list[Scenario], *, runs: int, postgres_url: str | None, say: Callable[[str], None]
) -> tuple[DataSet, list[ScenarioResult]]:
    """Run each scenario `runs` times, interleaved so that load from other work spreads over all of them alike."""
    results = [ScenarioResult(s) for s in scenarios]
    for result in results:
        if result.scenario.backend == "postgres" and postgres_url is None:
            result.status, result.note = "skipped", "set LEDGER_TEST_POSTGRES_URL"
    needs = {need for r in results if r.status == "ok" for need in r.scenario.needs}
    with tempfile.TemporaryDirectory(prefix="ledger-bench-") as tmp:
        data = prepare_data(size, Path(tmp), needs, say)
        base = RunContext(
            size=size,
            backend="sqlite",
            workdir="",
            events_file=data.events_file,
            events=data.events,
            growth_file=data.growth_file,
            growth_events=data.growth_events,
            populated_url=data.populated_url,
            projected_url=data.projected_url,
            postgres_url=postgres_url,
        )
        for number in range(1, runs + 1):
            for result in results:
                if result.status == "ok":
                    context = replace(base, backend=result.scenario.backend, workdir=tempfile.mkdtemp(dir=tmp))
                    _run_once(result, context, say, f"run {number}/{runs}")
                    shutil.rmtree(context.workdir, ignore_errors=True)
    return data, results


def prepare_data(size: Size, folder: Path, needs: set[Need], say: Callable[[str], None]) -> DataSet:
    """Generate the JSON Lines files with ``ledger generate`` and import the populated database if a scenario needs them."""
    events_file = _generate(size.customers, folder / "events.jsonl", say)
    growth_file = _generate(size.growth_customers, folder / "growth.jsonl", say) if "growth file" in needs else None
    populated_url = projected_url = None
    if needs & {"populated database", "projected database"}:
        populated_url = f"sqlite:///{folder / 'populated.db'}"
        started = time.perf_counter()
        _ledger_command(folder, "--db", populated_url, "import", str(events_file))
        say(f"imported {events_file.name} into populated.db in {time.perf_counter() - started:.1f} s")
        # Rates for the generated currencies: converting money needs one for every purchase's day.
        with open(folder / "rates.csv", "wb") as out:
            _ledger_command(folder, "rates", "sample", "--from", FIRST_DAY, "--to", LAST_DAY, stdout=out)
        _ledger_command(folder, "--db", populated_url, "rates", "import", "rates.csv")
    if "projected database" in needs:
        projected_url = _project(folder, say)
    return DataSet(
        events_file=str(events_file),
        events=_count_lines(events_file),
        growth_file=str(growth_file) if growth_file else None,
        growth_events=_count_lines(growth_file) if growth_file else 0,
        populated_url=populated_url,
        projected_url=projected_url,
    )


def _project(folder: Path, say: Callable[[str], None]) -> str:
    """Copy the populated database, add the heavy customer's events and build every read model (for the read side)."""
    started = time.perf_counter()
    with sqlite3.connect(folder / "populated.db") as source, sqlite3.connect(folder / "projected.db") as target:
        source.backup(target)
    url = f"sqlite:///{folder / 'projected.db'}"
    heavy = folder / "heavy.jsonl"
    with open(heavy, "wb") as out:
        out.writelines(orjson.dumps(event) + b"\n" for event in heavy_customer_events())
    _ledger_command(folder, "--db", url, "import", str(heavy))
    _ledger_command(folder, "--db", url, "projections", "rebuild")
    seconds = time.perf_counter() - started
    say(f"projected.db: {HEAVY_EVENTS} events of {HEAVY_CUSTOMER} added, read models built in {seconds:.1f} s")
    return url


def _generate(customers: int, path: Path, say: Callable[[str], None]) -> Path:
    started = time.perf_counter()
    with open(path, "wb") as out:
        _ledger_command(
            path.parent,
            "generate",
            "--customers",
            str(customers),
            "--seed",
            str(SEED),
            "--from",
            FIRST_DAY,
            "--to",
            LAST_DAY,
            stdout=out,
        )
    say(f"generated {_count_lines(path):,} events of {customers:,} customers in {time.perf_counter() - started:.1f} s")
    return path


def _ledger_command(folder: Path, *args: str, stdout: IO[bytes] | None = None) -> None:
    """Run the ``ledger`` CLI of this checkout (``python -m cli``) in folder, without the caller's LEDGER_* settings."""
    process = subprocess.run(
        [sys.executable, "-m", "cli", *args],
        cwd=folder,
        env=_child_environment(),
        stdout=stdout or subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    if process.returncode != 0:
        raise SetupError(f"ledger {' '.join(args)} failed: {process.stderr.decode(errors='replace').strip()[-2000:]}")


def _run_once(result: ScenarioResult, context: RunContext, say: Callable[[str], None], label: str) -> None:
    workdir = Path(context.workdir)
    (workdir / "context.json").write_text(context.to_json())
    command = [sys.executable, "-m", "bench.child", result.scenario.name, "context.json", "result.json"]
    started = time.perf_counter()
    try:
        process = subprocess.run(
            command, cwd=workdir, env=_child_environment(), capture_output=True, text=True, timeout=RUN_TIMEOUT_S
        )
    except subprocess.TimeoutExpired:
        result.status, result.note = "failed", f"timed out after {RUN_TIMEOUT_S} s"
        say(f"{result.scenario.name} ({label}): {result.note}")
        return
    result_file = workdir / "result.json"
    measured = json.loads(result_file.read_text()) if result_file.exists() else {}
    if process.returncode != 0:
        result.status = "failed"
        result.note = measured.get("error") or process.stderr.strip()[-ERROR_TAIL_CHARS:]
        say(f"{result.scenario.name} ({label}): FAILED\n{process.stderr.strip()}")
        return
    result.values.append(measured["value"])
    result.unit, result.events = measured["unit"], measured["events"]
    result.peak_memory_mib = max(result.peak_memory_mib, measured["peak_memory_mib"])
    say(
        f"{result.scenario.name} ({label}): {measured['value']:,.1f} {measured['unit']} over {measured['events']:,} events, "
        f"{measured['peak_memory_mib']:.0f} MiB, {time.perf_counter() - started:.1f} s with start-up"
    )


def _child_environment() -> dict[str, str]:
    """Return this environment without LEDGER_* settings, with this checkout importable from any folder."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEDGER_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def _count_lines(path: Path) -> int:
    with open(path, "rb") as file:
        return sum(1 for _ in file)
