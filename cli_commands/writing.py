"""Commands that store events: append, import; and generate, which writes sample events to import."""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import click

from cli_commands.identity import ON_UNKNOWN
from cli_commands.options import DAY, EVENT_TYPE, MOMENT, LedgerContext, format_options, parse_assignments, quiet_option

if TYPE_CHECKING:
    from ledger.identity.transaction import OnUnknown
    from ledger.output import OutputFormat


@click.command()
@click.argument("event_type", metavar="TYPE", type=EVENT_TYPE)
@click.argument("fields", nargs=-1, metavar="[KEY=VALUE]...")
@click.option("--customer", required=True, help="The customer's key (any string of yours), or KIND:VALUE: its holder.")
@ON_UNKNOWN
@click.option("--at", "at", type=MOMENT, help="When it happened (ISO date or datetime; default now).")
@click.option("--event-id", help="Idempotency key (default: generated).")
@click.option("--source", help="Which service or file recorded it.")
@click.option("--actor", help="Who recorded it.")
@click.option("--correlation-id", help="Correlation id of the wider operation.")
@click.option("--json", "json_data", help="The event's data as a JSON object (merged under KEY=VALUE pairs).")
@format_options(aliases=False)
@click.pass_obj
def append(
    obj: LedgerContext,
    event_type: str,
    fields: tuple[str, ...],
    customer: str,
    at: datetime | date | None,
    event_id: str | None,
    source: str | None,
    actor: str | None,
    correlation_id: str | None,
    json_data: str | None,
    on_unknown: OnUnknown | None,
    output_format: OutputFormat,
) -> None:
    """Append one event to a customer's stream, in its own durable transaction.

    An --event-id that is already stored stores nothing and says so.

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
    data.update(parse_assignments(fields))
    with obj.ledger.resolving(on_unknown):
        receipt = obj.ledger.append(
            event_type,
            obj.ledger.customer_reference(customer),
            data,
            occurred_at=at,
            event_id=event_id,
            source=source,
            actor=actor,
            correlation_id=correlation_id,
        )
    from ledger import output

    if output_format == "table":
        status = "duplicate, already stored" if receipt.duplicate else "stored"
        output.write_text(f"{receipt.event_id} at position {receipt.position} ({status})")
    else:
        output.write_one(receipt, output_format)


@click.command(name="import")
@click.argument("file", type=click.Path(exists=True, allow_dash=True, dir_okay=False, path_type=str))
@click.option(
    "--input-format",
    type=click.Choice(["jsonl", "csv"]),
    help="Format of FILE (default: csv for a .csv name, else jsonl).",
)
@click.option("--type", "csv_type", type=EVENT_TYPE, help="Event type of every row of a CSV file without a 'type' column.")
@click.option("--delimiter", type=click.Choice([",", ";", "tab"]), help="CSV delimiter (default: read from the header).")
@click.option("--strict", is_flag=True, help="Store nothing at all unless every line is valid.")
@click.option("--max-errors", type=click.IntRange(min=1), help="Stop reading at this many rejected lines.")
@ON_UNKNOWN
@quiet_option
@click.option("--batch-size", default=1000, show_default=True, type=click.IntRange(1, 100_000), help="Events per transaction.")
@format_options()
@click.pass_obj
def import_(
    obj: LedgerContext,
    file: str,
    input_format: str | None,
    csv_type: str | None,
    delimiter: str | None,
    strict: bool,
    max_errors: int | None,
    on_unknown: OnUnknown | None,
    quiet: bool,
    batch_size: int,
    output_format: OutputFormat,
) -> None:
    """Import events from a JSON Lines or CSV file (- for stdin), in batches of one transaction each.

    Each invalid line stores nothing and is reported: as FILE:LINE: field: reason
    on stderr, or with --json as an object {"line", "message"} on stdout, before
    the summary {"stored", "duplicates", "rejected"}. The command exits 1 if any
    line was rejected. Re-importing the same file stores nothing new, so an
    import that failed part-way (its error says how far it got) is completed by
    running it again. A progress bar shows on stderr when it is a terminal.

    CSV files may start with a byte order mark and use ; or tab as delimiter.

    Example:

        ledger import events.jsonl

        ledger import --type purchase purchases.csv
    """
    from ledger import output
    from ledger.results import LineProblem

    name = "<stdin>" if file == "-" else file
    with (
        obj.ledger.resolving(on_unknown),
        output.progress_bar(None if file == "-" else os.path.getsize(file), "import", quiet=quiet) as bar,
    ):
        summary = obj.ledger.import_file(
            sys.stdin.buffer if file == "-" else file,
            file_format=input_format,  # type: ignore[arg-type]
            csv_type=csv_type,
            delimiter="\t" if delimiter == "tab" else delimiter,
            strict=strict,
            max_errors=max_errors,
            batch_size=batch_size,
            on_progress=None if bar.disable else bar.update,
        )
    counts = {"stored": summary.stored, "duplicates": summary.duplicates, "rejected": summary.rejected}
    if output_format == "table":
        for problem in summary.problems:
            output.message(f"{name}:{problem.line}: {problem.message}")
    else:
        output.write_rows(summary.problems, output_format, row_type=LineProblem)
    if output_format == "json":
        output.write_rows([counts], "json")
    elif not quiet:
        nothing = " (strict: nothing stored)" if strict and summary.problems else ""
        stopped = f"; stopped at {max_errors} rejected lines (--max-errors)" if summary.stopped_early else ""
        empty = "" if any(counts.values()) else " (no events in the file: it is empty, or a CSV header line only)"
        output.message(", ".join(f"{key} {count}" for key, count in counts.items()) + nothing + stopped + empty)
    if summary.problems:
        from ledger import ExitCode

        click.get_current_context().exit(ExitCode.DATA_ERROR)


@click.command()
@click.option("--customers", default=100, show_default=True, type=click.IntRange(min=1), help="How many customers.")
@click.option("--seed", default=1, show_default=True, type=int, help="Random seed (same seed, same output).")
@click.option("--from", "start", default="2021-01-01", show_default=True, type=DAY, help="First day of the generated history.")
@click.option("--to", "end", type=DAY, help="Last day (default yesterday, so that nothing lies in the future).")
def generate(customers: int, seed: int, start: date, end: date | None) -> None:
    """Write realistic sample events as JSON Lines to stdout, ready for import.

    Example:

        ledger generate --customers 1000 --seed 7 > sample.jsonl
    """
    last = end or datetime.now(UTC).date() - timedelta(days=1)
    if start > last:
        raise click.BadParameter(f"{start} is after {last}", param_hint="--from")
    from ledger import output
    from ledger.sample_data import generate_events

    output.write_rows(generate_events(customers, seed, start, last), "json")
