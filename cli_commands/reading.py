"""Commands that read: the log and a customer's timeline, and the queries on the read models."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import click

from cli_commands.identity import customer_key
from cli_commands.options import (
    CHANNEL,
    DAY,
    MOMENT,
    SEGMENT,
    STAGE,
    LedgerContext,
    as_of_options,
    check_range,
    format_options,
    quiet_option,
)

if TYPE_CHECKING:
    from ledger import RecordedEvent
    from ledger.output import OutputFormat
    from ledger.timeline import CorrectionNote


# Personal fields are masked (j***@example.com) unless asked for: operators and analysts see no PII by default.
SHOW_PERSONAL = click.option(
    "--show-personal", is_flag=True, help="Show personal fields in full (decrypted with the master key); masked otherwise."
)


# Money in a profile's table: the total in its reporting currency; spend, refunds and order values per currency.
PROFILE_MONEY = {"total_spend": "currency", "spend": None, "refunds": None, "average_order_value": None}


def write_events(events: list[RecordedEvent], output_format: OutputFormat) -> None:
    """Print events: for people, one line each with its data and what voids or corrections did to it."""
    from ledger import output
    from ledger.timeline import corrections_by_target

    if output_format != "table":
        output.write_rows(events, output_format)
        return
    notes = corrections_by_target(events)
    output.write_rows([_for_people(event, notes.get(event.event_id, [])) for event in events], "table")


def _for_people(event: RecordedEvent, notes: list[CorrectionNote]) -> dict[str, Any]:
    from ledger import output

    fields = event.to_json_dict()
    data = event.data.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
    summary = output.people_text(data) + "".join(f" [{note.describe()}]" for note in notes)
    # event_id: auditors void and correct events by it.
    shown = ("position", "event_id", "occurred_at", "customer", "type", "actor")
    return {name: fields[name] for name in shown} | {"data": summary}


def report_lag(result: object) -> None:
    """Say on stderr when the read models behind a result had not applied the whole log."""
    from ledger import output

    behind = getattr(result, "behind", 0)
    if behind:
        output.message(f'note: read models are {behind} events behind the log; run "ledger projections run"')
    restricted = getattr(result, "restricted", 0)
    if restricted:
        output.message(f"note: {restricted} restricted customers left out (see ledger restrict)")


@click.command()
@click.argument("customer", callback=customer_key)
@click.option("--as-of", type=MOMENT, help="Only events that occurred on or before this date or time.")
@click.option("--known-at", type=MOMENT, help="Only events the ledger had recorded by this date or time.")
@SHOW_PERSONAL
@format_options()
@click.pass_obj
def timeline(
    obj: LedgerContext,
    customer: str,
    as_of: datetime | date | None,
    known_at: datetime | date | None,
    show_personal: bool,
    output_format: OutputFormat,
) -> None:
    """Show a customer's events in stream order, with envelope and data, voids and corrections included.

    Example:

        ledger timeline C-000001 --as-of 2024-12-31 --known-at 2025-01-15
    """
    write_events(obj.ledger.timeline(customer, as_of=as_of, known_at=known_at, personal=show_personal), output_format)


@click.command()
@click.option("--after", default=0, show_default=True, type=click.IntRange(min=0), help="Start after this log position.")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 100_000), help="At most this many events.")
@SHOW_PERSONAL
@format_options()
@click.pass_obj
def log(obj: LedgerContext, after: int, limit: int, show_personal: bool, output_format: OutputFormat) -> None:
    """Show the global log in commit order, with positions.

    Example:

        ledger log --after 1000 --limit 50 --json
    """
    write_events(obj.ledger.log(after=after, limit=limit, personal=show_personal), output_format)


@click.command()
@click.argument("customer", callback=customer_key)
@click.option("--currency", help="Report converted money in this currency (default the base currency).")
@as_of_options
@format_options()
@click.pass_obj
def profile(
    obj: LedgerContext,
    customer: str,
    currency: str | None,
    as_of: datetime | date | None,
    known_at: datetime | date | None,
    output_format: OutputFormat,
) -> None:
    """Show a customer's profile: contacts, purchases, spend, complaints, satisfaction, stage and value segment.

    Example:

        ledger profile C-000001 --as-of 2024-12-31
    """
    from ledger import output

    found = obj.ledger.profile(customer, as_of=as_of, known_at=known_at, currency=currency)
    report_lag(found)
    output.write_one(found, output_format, money=PROFILE_MONEY)


@click.command()
@click.option("--stage", type=STAGE, help="Only customers in this lifecycle stage.")
@click.option("--churn-risk", is_flag=True, help="Only customers whose lifecycle flags a risk of churning.")
@click.option("--segment", type=SEGMENT, help="Only this value segment.")
@click.option("--vip", is_flag=True, help="Only the top 20% by spend in the trailing 365 days.")
@click.option("--currency", help="Report converted money in this currency (default the base currency).")
@click.option("--consent", metavar="PURPOSE", help="Only customers whose consent to this purpose stands granted as of the date.")
@as_of_options
@quiet_option
@format_options()
@click.pass_obj
def customers(obj: LedgerContext, output_format: OutputFormat, quiet: bool, **filters: Any) -> None:
    """List customers with lifecycle stage, churn-risk flag, RFM scores and value segment.

    Example:

        ledger customers --stage maturity --churn-risk --csv > churn-watch.csv
    """
    from ledger import output
    from ledger.results import CustomerSummary

    found = obj.ledger.customers(**filters, progress=not quiet)
    report_lag(found)
    currency = filters["currency"] or obj.ledger.config.ledger.currency
    output.write_rows(found.rows, output_format, row_type=CustomerSummary, money={"spend_365": currency})


@click.command()
@click.option("--by", type=click.Choice(["day", "week", "month"]), default="month", show_default=True, help="Period.")
@click.option("--from", "start", type=DAY, help="First day (inclusive).")
@click.option("--to", "end", type=DAY, help="Last day (inclusive).")
@click.option("--channel", type=CHANNEL, help="Only answers and complaints on this channel.")
@click.option("--segment", help="Only customers of this segment (the segment field of their details).")
@click.option("--split", type=click.Choice(["channel", "segment"]), help="One row per period and channel or segment.")
@click.option("--currency", help="Report revenue in this currency (default the base currency).")
@as_of_options
@quiet_option
@format_options()
@click.pass_obj
def trends(obj: LedgerContext, output_format: OutputFormat, quiet: bool, **filters: Any) -> None:
    """Show NPS, CSAT, CES, ACSI-style means and complaint times per period.

    Example:

        ledger trends --by week --from 2024-01-01 --to 2024-03-31 --channel phone
    """
    from ledger import UnknownSegmentError, output
    from ledger.results import TrendRow

    check_range(filters["start"], filters["end"], "--from", "--to")
    try:
        found = obj.ledger.trends(**filters, progress=not quiet)
    except UnknownSegmentError as error:
        raise click.BadParameter(str(error).removeprefix("segment: "), param_hint="--segment") from None
    report_lag(found)
    output.write_rows(found.rows, output_format, row_type=TrendRow, money={"revenue": "currency"})


@click.command()
@click.option("--open", "open_only", is_flag=True, help="Only open complaints.")
@click.option("--overdue", "overdue_only", is_flag=True, help="Only open complaints past a target.")
@click.option("--as-of", type=MOMENT, help="Judge targets on this date (the whole day) or time.")
@quiet_option
@format_options()
@click.pass_obj
def complaints(obj: LedgerContext, output_format: OutputFormat, quiet: bool, **filters: Any) -> None:
    """List complaints with state, age, first-response and resolution times and SLA outcomes.

    Example:

        ledger complaints --overdue --json
    """
    from ledger import output
    from ledger.results import ComplaintSummary

    found = obj.ledger.complaints(**filters, progress=not quiet)
    report_lag(found)
    output.write_rows(found.rows, output_format, row_type=ComplaintSummary)
