"""The ``ledger`` command: parse, call the Python API, print. No domain rules here."""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

import click
import orjson
from tabulate import tabulate
from tqdm import tqdm

from commands.errors import ExitCode, LedgerError
from commands.events import EVENT_TYPES
from commands.records import RecordedEvent
from commands.timeutil import format_utc, parse_time_text
from ledger.application import Ledger
from ledger.audit.corrections import CorrectionNote, corrections_by_target
from ledger.audit.digest import digest_json, read_digest
from ledger.config import load_config
from ledger.importing import detect_format
from projections.lifecycle import STAGES
from projections.rfm import SEGMENTS

F = TypeVar("F", bound=Callable[..., Any])


class LedgerContext:
    """What every command needs: the database URL and configuration, and a lazily opened ledger."""

    def __init__(self, db: str | None, config_path: str | None):
        self.db = db
        self.config_path = config_path
        self._ledger: Ledger | None = None

    @property
    def ledger(self) -> Ledger:
        """Open the ledger on first use."""
        if self._ledger is None:
            self._ledger = Ledger(self.db, config=load_config(self.config_path))
        return self._ledger

    def close(self) -> None:
        """Close the ledger if it was opened."""
        if self._ledger is not None:
            self._ledger.close()


def handle_errors(command: F) -> F:
    """Turn the ledger's errors into one line on stderr and their fixed exit code."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except LedgerError as error:
            click.echo(f"Error: {error}", err=True)
            sys.exit(int(error.exit_code))

    return wrapper  # type: ignore[return-value]


def time_option(value: str | None, name: str) -> datetime | date | None:
    """Parse a --at / --as-of style option, or fail as a usage error."""
    if value is None:
        return None
    try:
        return parse_time_text(value)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint=name) from None


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--db", envvar="LEDGER_DB", help="Database URL (default sqlite:///ledger.db). Env: LEDGER_DB.")
@click.option(
    "--config", "config_path", envvar="LEDGER_CONFIG", help="TOML configuration file (default ./ledger.toml if present)."
)
@click.version_option(package_name="customer-ledger")
@click.pass_context
def main(ctx: click.Context, db: str | None, config_path: str | None) -> None:
    """Event-sourced customer-interaction ledger.

    Every contact, purchase, refund, complaint step and survey answer is an
    immutable event in its customer's stream.
    """
    ctx.obj = LedgerContext(db, config_path)
    ctx.call_on_close(ctx.obj.close)


def _parse_assignments(pairs: Iterable[str]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"expected key=value, got {pair!r}", param_hint="FIELDS")
        target = data
        *parents, leaf = key.split(".")
        for parent in parents:
            target = target.setdefault(parent, {})
        target[leaf] = value
    return data


@main.command()
@click.argument("event_type", metavar="TYPE", type=click.Choice(list(EVENT_TYPES)))
@click.argument("fields", nargs=-1, metavar="[KEY=VALUE]...")
@click.option("--customer", required=True, help="The customer's key (any string of yours).")
@click.option("--at", "at", help="When it happened (ISO date or datetime; default now).")
@click.option("--event-id", help="Idempotency key (default: generated).")
@click.option("--source", help="Which service or file recorded it.")
@click.option("--actor", help="Who recorded it.")
@click.option("--correlation-id", help="Correlation id of the wider operation.")
@click.option("--json", "json_data", help="The event's data as a JSON object (merged under KEY=VALUE pairs).")
@click.pass_obj
@handle_errors
def append(
    obj: LedgerContext,
    event_type: str,
    fields: tuple[str, ...],
    customer: str,
    at: str | None,
    event_id: str | None,
    source: str | None,
    actor: str | None,
    correlation_id: str | None,
    json_data: str | None,
) -> None:
    """Append one event to a customer's stream.

    Example:

        ledger append purchase --customer C-1 --at 2024-05-01 order_id=O-1 amount=19.90 currency=EUR
    """
    data: dict[str, Any] = {}
    if json_data is not None:
        try:
            data = json.loads(json_data)
        except json.JSONDecodeError as error:
            raise click.BadParameter(f"not valid JSON: {error}", param_hint="--json") from None
        if not isinstance(data, dict):
            raise click.BadParameter("expected a JSON object", param_hint="--json")
    data.update(_parse_assignments(fields))
    receipt = obj.ledger.append(
        event_type,
        customer,
        data,
        occurred_at=time_option(at, "--at"),
        event_id=event_id,
        source=source,
        actor=actor,
        correlation_id=correlation_id,
    )
    status = "duplicate, already stored" if receipt.duplicate else "stored"
    click.echo(f"{receipt.event_id} at position {receipt.position} ({status})")


@main.command(name="import")
@click.argument("file", type=click.Path(allow_dash=True, dir_okay=False, path_type=str))
@click.option(
    "--format", "file_format", type=click.Choice(["jsonl", "csv"]), help="Default: from the file name (.csv), else jsonl."
)
@click.option(
    "--type",
    "csv_type",
    type=click.Choice(list(EVENT_TYPES)),
    help="Event type of every row of a CSV file without a 'type' column.",
)
@click.option("--strict", is_flag=True, help="Store nothing at all unless every line is valid.")
@click.option("--batch-size", default=1000, show_default=True, type=click.IntRange(1, 100_000), help="Events per transaction.")
@click.pass_obj
@handle_errors
def import_(obj: LedgerContext, file: str, file_format: str | None, csv_type: str | None, strict: bool, batch_size: int) -> None:
    """Import events from a JSON Lines or CSV file (- for stdin).

    Each invalid line is reported as FILE:LINE: field: reason and stores
    nothing; the command exits 1 if any line was rejected. Re-importing the
    same file stores nothing new.

    Example:

        ledger import events.jsonl

        ledger import --type purchase purchases.csv
    """
    name = "<stdin>" if file == "-" else file
    try:
        source = sys.stdin.buffer if file == "-" else open(file, "rb")  # noqa: SIM115 (closed below)
    except OSError as error:
        raise click.BadParameter(str(error.strerror), param_hint="FILE") from None
    total = None if file == "-" else os.path.getsize(file)
    with source, tqdm(total=total, unit="B", unit_scale=True, desc="import", file=sys.stderr, disable=None) as bar:
        summary = obj.ledger.import_file(
            source,
            file_format=file_format or detect_format(name),  # type: ignore[arg-type]
            csv_type=csv_type,
            strict=strict,
            batch_size=batch_size,
            on_progress=None if bar.disable else bar.update,
        )
    for problem in summary.problems:
        click.echo(f"{name}:{problem.line}: {problem.message}", err=True)
    nothing = " (strict: nothing stored)" if strict and summary.problems else ""
    click.echo(f"stored {summary.stored}, duplicates {summary.duplicates}, rejected {summary.rejected}{nothing}", err=True)
    if summary.problems:
        sys.exit(int(ExitCode.DATA_ERROR))


@main.command()
@click.argument("customer")
@click.option("--as-of", help="Only events that occurred on or before this date or time.")
@click.option("--known-at", help="Only events the ledger had recorded by this date or time.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.pass_obj
@handle_errors
def timeline(obj: LedgerContext, customer: str, as_of: str | None, known_at: str | None, as_json: bool) -> None:
    """Show a customer's events in order, with envelope and data, voids and corrections included.

    Example:

        ledger timeline C-000001 --as-of 2024-12-31 --known-at 2025-01-15
    """
    events = obj.ledger.timeline(customer, as_of=time_option(as_of, "--as-of"), known_at=time_option(known_at, "--known-at"))
    _print_events(events, as_json)


@main.command()
@click.option("--after", default=0, show_default=True, type=click.IntRange(min=0), help="Start after this log position.")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 100_000), help="At most this many events.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.pass_obj
@handle_errors
def log(obj: LedgerContext, after: int, limit: int, as_json: bool) -> None:
    """Show the global log in commit order, with positions.

    Example:

        ledger log --after 1000 --limit 50 --json
    """
    _print_events(obj.ledger.log(after=after, limit=limit), as_json)


def _summary(event: RecordedEvent, notes: list[CorrectionNote]) -> str:
    data = event.data.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
    text = " ".join(f"{k}={v}" for k, v in data.items())
    return text + "".join(f" [{note.describe()}]" for note in notes)


def _print_events(events: list[RecordedEvent], as_json: bool) -> None:
    if as_json:
        out = sys.stdout.buffer
        for event in events:
            out.write(orjson.dumps(event.to_json_dict()) + b"\n")
        out.flush()
        return
    notes = corrections_by_target(events)
    rows = [
        (e.position, format_utc(e.occurred_at), e.customer, e.type, e.actor or "", _summary(e, notes.get(e.event_id, [])))
        for e in events
    ]
    click.echo(tabulate(rows, headers=["position", "occurred_at", "customer", "type", "actor", "data"], tablefmt="simple"))


@main.command()
@click.option("--customers", default=100, show_default=True, type=click.IntRange(min=1), help="How many customers.")
@click.option("--seed", default=1, show_default=True, type=int, help="Random seed (same seed, same output).")
@click.option("--from", "start", default="2021-01-01", show_default=True, help="First day of the generated history.")
@click.option("--to", "end", default=None, help="Last day (default yesterday, so that nothing lies in the future).")
def generate(customers: int, seed: int, start: str, end: str | None) -> None:
    """Write realistic sample events as JSON Lines to stdout.

    Example:

        ledger generate --customers 1000 --seed 7 > sample.jsonl
    """
    first = _date_option(start, "--from")
    last = _date_option(end, "--to") if end else datetime.now(UTC).date() - timedelta(days=1)
    if first > last:
        raise click.BadParameter(f"{first} is after {last}", param_hint="--from")
    from ledger.sample_data import generate_events  # only this command needs it

    out = sys.stdout.buffer
    for line in generate_events(customers, seed, first, last):
        out.write(orjson.dumps(line) + b"\n")
    out.flush()


def _date_option(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"not an ISO date: {value!r}", param_hint=name) from None


# --- projections commands (issue 3) ---


def _emit(rows: list[dict[str, Any]], as_json: bool, as_csv: bool = False) -> None:
    """Print rows as a text table, JSON lines or CSV."""
    if as_json:
        out = sys.stdout.buffer
        for row in rows:
            out.write(orjson.dumps(row) + b"\n")
        out.flush()
    elif as_csv:
        import csv

        writer = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]) if rows else [], lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    elif rows:
        click.echo(tabulate([[_cell(v) for v in row.values()] for row in rows], headers=list(rows[0]), tablefmt="simple"))
    else:
        click.echo("(none)", err=True)


def _cell(value: Any) -> Any:
    if isinstance(value, float):
        return f"{value:.1f}"
    if isinstance(value, dict):
        return " ".join(f"{k}={v}" for k, v in value.items())
    return "" if value is None else value


def _table_options(command: F) -> F:
    command = click.option("--csv", "as_csv", is_flag=True, help="CSV with a header row.")(command)
    return click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")(command)


def _as_of_options(command: F) -> F:
    command = click.option("--known-at", help="Only what the ledger had recorded by this date or time.")(command)
    return click.option("--as-of", help="Only events that occurred on or before this date (whole day) or time.")(command)


@main.group()
def projections() -> None:
    """Read models: status, rebuild, run.

    Example:

        ledger projections status
    """


@projections.command(name="status")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.pass_obj
@handle_errors
def projections_status(obj: LedgerContext, as_json: bool) -> None:
    """Show each projection's version, position, events behind, last update and state.

    Example:

        ledger projections status --json
    """
    from ledger.projection_operations import status

    _emit([dict(zip(s.__slots__, (getattr(s, k) for k in s.__slots__), strict=True)) for s in status(obj.ledger)], as_json)


@projections.command(name="rebuild")
@click.argument("names", nargs=-1, metavar="[NAME]...")
@click.pass_obj
@handle_errors
def projections_rebuild(obj: LedgerContext, names: tuple[str, ...]) -> None:
    """Rebuild projections (all by default) into new tables, then switch to them at once.

    Queries keep using the old tables until the switch. An interrupted rebuild
    leaves them in use; the next rebuild starts again cleanly.

    Example:

        ledger projections rebuild profiles complaints
    """
    import time

    from ledger.projection_operations import rebuild

    started = time.monotonic()
    scanned = rebuild(obj.ledger, list(names))
    seconds = time.monotonic() - started
    click.echo(f"rebuilt {', '.join(names) or 'all projections'}: {scanned} events in {seconds:.2f} s", err=True)


@projections.command(name="run")
@click.argument("names", nargs=-1, metavar="[NAME]...")
@click.option("--follow", is_flag=True, help="Keep following new events until Ctrl-C or SIGTERM.")
@click.pass_obj
@handle_errors
def projections_run(obj: LedgerContext, names: tuple[str, ...], follow: bool) -> None:
    """Catch projections up with the log; with --follow, keep them current within a second.

    Example:

        ledger projections run --follow
    """
    import signal
    import threading

    from ledger.projection_operations import run

    stop = threading.Event() if follow else None
    if stop is not None:
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
    applied = run(obj.ledger, list(names), stop=stop)
    click.echo(f"applied {applied} events", err=True)


@main.command()
@click.argument("customer")
@_as_of_options
@click.option("--json", "as_json", is_flag=True, help="One JSON object.")
@click.pass_obj
@handle_errors
def profile(obj: LedgerContext, customer: str, as_of: str | None, known_at: str | None, as_json: bool) -> None:
    """Show a customer's profile: contacts, purchases, spend, complaints, satisfaction, stage and value segment.

    Example:

        ledger profile C-000001 --as-of 2024-12-31
    """
    from ledger.queries.customers import profile as customer_profile

    found = customer_profile(
        obj.ledger, customer, as_of=time_option(as_of, "--as-of"), known_at=time_option(known_at, "--known-at")
    )
    if as_json:
        _emit([found], True)
        return
    history = " -> ".join(f"{h['stage']} ({h['day']})" for h in found.pop("stage_history"))
    rows = [(k, _cell(v)) for k, v in found.items()] + [("stage_history", history)]
    click.echo(tabulate(rows, tablefmt="plain"))


@main.command()
@click.option("--stage", type=click.Choice(STAGES), help="Only customers in this lifecycle stage.")
@click.option("--at-risk", is_flag=True, help="Only customers flagged at risk.")
@click.option("--segment", type=click.Choice(SEGMENTS), help="Only this value segment.")
@click.option("--vip", is_flag=True, help="Only the top 20% by spend in the trailing 365 days.")
@_as_of_options
@_table_options
@click.pass_obj
@handle_errors
def customers(obj: LedgerContext, **options: Any) -> None:
    """List customers with lifecycle stage, at-risk flag, RFM scores and value segment.

    Example:

        ledger customers --stage maturity --at-risk --csv > churn-watch.csv
    """
    from ledger.queries.customers import customers as list_customers

    rows = list_customers(
        obj.ledger,
        stage=options["stage"],
        at_risk=options["at_risk"],
        segment=options["segment"],
        vip=options["vip"],
        as_of=time_option(options["as_of"], "--as-of"),
        known_at=time_option(options["known_at"], "--known-at"),
        progress=True,
    )
    _emit(rows, options["as_json"], options["as_csv"])


@main.command()
@click.option("--by", type=click.Choice(["day", "week", "month"]), default="month", show_default=True, help="Period.")
@click.option("--from", "start", help="First day (inclusive).")
@click.option("--to", "end", help="Last day (inclusive).")
@click.option("--channel", help="Only answers and complaints on this channel.")
@click.option("--segment", help="Only customers of this segment (the segment field of their details).")
@click.option("--split", type=click.Choice(["channel", "segment"]), help="One row per period and channel or segment.")
@_as_of_options
@_table_options
@click.pass_obj
@handle_errors
def trends(obj: LedgerContext, **options: Any) -> None:
    """Show NPS, CSAT, CES, ACSI-style means and complaint times per period.

    Example:

        ledger trends --by week --from 2024-01-01 --to 2024-03-31 --channel phone
    """
    from ledger.queries.reports import trends as satisfaction_trends
    from projections.metrics import TrendFilter

    f = TrendFilter(
        by=options["by"],
        start=_date_option(options["start"], "--from") if options["start"] else None,
        end=_date_option(options["end"], "--to") if options["end"] else None,
        channel=options["channel"],
        segment=options["segment"],
        split=options["split"],
    )
    rows = satisfaction_trends(
        obj.ledger,
        f,
        as_of=time_option(options["as_of"], "--as-of"),
        known_at=time_option(options["known_at"], "--known-at"),
        progress=True,
    )
    _emit(rows, options["as_json"], options["as_csv"])


@main.command()
@click.option("--open", "open_only", is_flag=True, help="Only open complaints.")
@click.option("--overdue", is_flag=True, help="Only open complaints past a target.")
@click.option("--as-of", help="Judge targets on this date (whole day) or time.")
@_table_options
@click.pass_obj
@handle_errors
def complaints(obj: LedgerContext, open_only: bool, overdue: bool, as_of: str | None, as_json: bool, as_csv: bool) -> None:
    """List complaints with state, age, first-response and resolution times and SLA outcomes.

    Example:

        ledger complaints --overdue --json
    """
    from ledger.queries.reports import complaints as list_complaints

    rows = list_complaints(
        obj.ledger, open_only=open_only, overdue_only=overdue, as_of=time_option(as_of, "--as-of"), progress=True
    )
    _emit(rows, as_json, as_csv)


# --- audit commands (issue 4) ---


@main.command()
@click.option("--digest", "digest_file", type=click.File("r"), help="Also prove the log up to this digest is unchanged.")
@click.pass_obj
@handle_errors
def verify(obj: LedgerContext, digest_file: Any) -> None:
    """Verify the stored log: hash chains, positions, checkpoints; exit 3 at the first bad event.

    Example:

        ledger verify --digest digest-2024-12-31.json
    """
    digest = read_digest(digest_file.read(), digest_file.name) if digest_file else None
    report = obj.ledger.verify(digest)
    if report.events == 0:
        click.echo("ledger is empty: nothing to verify", err=True)
        return
    proven = f", digest at position {report.digest_position} proven" if report.digest_position is not None else ""
    click.echo(
        f"ok: {report.events} events in {report.streams} streams, {report.checkpoints} checkpoints{proven}; "
        f"{report.seconds:.2f} s ({report.rate:,.0f} events/s)"
    )


@main.command()
@click.argument("event_id")
@click.option("--reason", required=True, help="Why the event is void (kept in the ledger).")
@click.option("--actor", help="Who voids it.")
@click.pass_obj
@handle_errors
def void(obj: LedgerContext, event_id: str, reason: str, actor: str | None) -> None:
    """Void an earlier event: a new event says it never happened; the original stays.

    Example:

        ledger void shop-123 --reason "test order" --actor auditor-7
    """
    receipt = obj.ledger.void(event_id, reason, actor=actor)
    click.echo(f"{receipt.event_id} at position {receipt.position}: voids {event_id}")


@main.command()
@click.argument("event_id")
@click.argument("fields", nargs=-1, required=True, metavar="KEY=VALUE...")
@click.option("--reason", help="Why the data is corrected (kept in the ledger).")
@click.option("--actor", help="Who corrects it.")
@click.pass_obj
@handle_errors
def correct(obj: LedgerContext, event_id: str, fields: tuple[str, ...], reason: str | None, actor: str | None) -> None:
    """Correct data fields of an earlier event: a new event carries the changes; the original stays.

    Example:

        ledger correct survey-881 score=7 --reason "typed 1 for 7" --actor agent-3
    """
    receipt = obj.ledger.correct(event_id, _parse_assignments(fields), reason=reason, actor=actor)
    click.echo(f"{receipt.event_id} at position {receipt.position}: corrects {event_id}")


@main.group()
def export() -> None:
    """Export data for auditors and analysts."""


@export.command(name="events")
@click.option("--customer", help="Only this customer's stream.")
@click.option("--from", "occurred_from", help="Only events that occurred at or after this date or time.")
@click.option("--to", "occurred_to", help="Only events that occurred on or before this date (whole day) or time.")
@click.option("--format", "file_format", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True)
@click.pass_obj
@handle_errors
def export_events_command(
    obj: LedgerContext, customer: str | None, occurred_from: str | None, occurred_to: str | None, file_format: str
) -> None:
    """Stream stored events with positions and hashes; the last line digests the export itself.

    Example:

        ledger export events --customer C-000001 --from 2024-01-01 --to 2024-12-31 > audit.jsonl
    """
    lines = obj.ledger.export_events(
        customer=customer,
        occurred_from=time_option(occurred_from, "--from"),
        occurred_to=time_option(occurred_to, "--to"),
        file_format=file_format,  # type: ignore[arg-type]
    )
    out = sys.stdout.buffer
    for line in lines:
        out.write(line)
    out.flush()


@export.command(name="rfm")
@click.option("--as-of", required=True, help="The date the summary is computed for (whole day).")
@click.option("--unit", type=click.Choice(["days", "weeks"]), default="days", show_default=True)
@click.option("--format", "file_format", type=click.Choice(["csv", "jsonl"]), default="csv", show_default=True)
@click.option("--known-at", help="Only what the ledger had recorded by this date or time.")
@click.pass_obj
@handle_errors
def export_rfm(obj: LedgerContext, as_of: str, unit: str, file_format: str, known_at: str | None) -> None:
    """Export the CLV summary (customer,frequency,recency,T,monetary_value) for lifetimes or pymc-marketing.

    Example:

        ledger export rfm --as-of 2024-12-31 --unit weeks > rfm.csv
    """
    from ledger.queries.customers import export_rfm as clv_rows
    from projections.rfm import clv_lines

    rows = clv_rows(
        obj.ledger,
        as_of=time_option(as_of, "--as-of"),
        unit=unit,  # type: ignore[arg-type]
        known_at=time_option(known_at, "--known-at"),
        progress=True,
    )
    out = sys.stdout.buffer
    for line in clv_lines(rows, file_format):  # type: ignore[arg-type]
        out.write(line)
    out.flush()


@main.command()
@click.pass_obj
@handle_errors
def digest(obj: LedgerContext) -> None:
    """Print a digest of the whole log (position, count, root hash) to keep outside the database.

    Example:

        ledger digest > digest-$(date +%F).json
    """
    click.echo(digest_json(obj.ledger.digest()))


if __name__ == "__main__":
    main()
