"""Exports for auditors and analysts: the stored events with their hashes, and the CLV summary."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import TYPE_CHECKING, Literal

import click

from cli_commands.options import MOMENT, LedgerContext, check_range, format_options, quiet_option

if TYPE_CHECKING:
    from ledger.output import OutputFormat

# The CLV columns that lifetimes and pymc-marketing read as numbers: exact decimal text in CSV and JSON alike.
CLV_NUMBERS = ("frequency", "recency", "T", "monetary_value")


OUTPUT_OPTION = click.option(
    "--output",
    "-o",
    "output_file",
    type=click.Path(dir_okay=False, writable=True),
    help="Write to this file instead of stdout (complete, or not at all).",
)


def _file_formats() -> Iterable[str]:
    return ("json", "csv")


@click.group()
def export() -> None:
    """Export data for auditors and analysts.

    Example:

        ledger export events > audit.jsonl
    """


@export.command(name="events")
@click.option("--customer", help="Only this customer's stream.")
@click.option("--from", "occurred_from", type=MOMENT, help="Only events that occurred at or after this date or time.")
@click.option(
    "--to", "occurred_to", type=MOMENT, help="Only events that occurred on or before this date (the whole day) or time."
)
@OUTPUT_OPTION
@format_options("json", choices=_file_formats)
@click.pass_obj
def events(
    obj: LedgerContext,
    customer: str | None,
    occurred_from: datetime | date | None,
    occurred_to: datetime | date | None,
    output_file: str | None,
    output_format: Literal["json", "csv"],
) -> None:
    """Stream stored events with positions and hashes; the last line digests the export itself.

    JSON lines by default; CSV has one column per envelope field and data as JSON.

    Example:

        ledger export events --customer C-000001 --from 2024-01-01 --to 2024-12-31 > audit.jsonl
    """
    from ledger import output

    check_range(occurred_from, occurred_to, "--from", "--to")
    lines = obj.ledger.export_events(
        customer=customer,
        occurred_from=occurred_from,
        occurred_to=occurred_to,
        file_format="jsonl" if output_format == "json" else "csv",
    )
    with output.to_file(output_file):
        output.write_bytes(lines)


@export.command(name="rfm")
@click.option("--as-of", required=True, type=MOMENT, help="The date the summary is computed for (the whole day).")
@click.option("--unit", type=click.Choice(["days", "weeks"]), default="days", show_default=True, help="Unit of recency and T.")
@click.option("--known-at", type=MOMENT, help="Only what the ledger had recorded by this date or time.")
@click.option("--currency", help="Report converted money in this currency (default the base currency).")
@OUTPUT_OPTION
@quiet_option
@format_options("csv")
@click.pass_obj
def rfm(
    obj: LedgerContext,
    as_of: datetime | date,
    unit: Literal["days", "weeks"],
    known_at: datetime | date | None,
    currency: str | None,
    output_file: str | None,
    quiet: bool,
    output_format: OutputFormat,
) -> None:
    """Export the CLV summary (customer,frequency,recency,T,monetary_value) for lifetimes or pymc-marketing.

    CSV by default; in JSON the figures are numbers written with their exact decimals.

    Example:

        ledger export rfm --as-of 2024-12-31 --unit weeks > rfm.csv
    """
    from ledger import output
    from ledger.results import ClvRow

    rows = obj.ledger.export_rfm(as_of=as_of, unit=unit, known_at=known_at, currency=currency, progress=not quiet)
    with output.to_file(output_file):
        output.write_rows(rows, output_format, row_type=ClvRow, numbers=CLV_NUMBERS)
