"""Consent and restriction of processing: show a customer's consent per purpose, restrict and lift a restriction."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import click

from cli_commands.identity import customer_key
from cli_commands.options import MOMENT, LedgerContext, format_options

if TYPE_CHECKING:
    from ledger.output import OutputFormat
    from ledger.results_privacy import PrivacyReceipt


@click.command()
@click.argument("customer", callback=customer_key)
@click.option("--as-of", type=MOMENT, help="The state on this date (the whole day) or at this time (default now).")
@click.option("--known-at", type=MOMENT, help="Only what the ledger had recorded by this date or time.")
@format_options()
@click.pass_obj
def consent(
    obj: LedgerContext,
    customer: str,
    as_of: datetime | date | None,
    known_at: datetime | date | None,
    output_format: OutputFormat,
) -> None:
    """Show a customer's consent per purpose (granted, withdrawn or none) and the event that set it.

    Consent is recorded as events: append consent_granted (purpose, source, text_version)
    or consent_withdrawn (purpose). Purposes are configured in [privacy] consent_purposes.

    Example:

        ledger append consent_granted --customer C-000001 purpose=marketing_email source=signup_form text_version=v3
        ledger consent C-000001 --as-of 2024-06-30
    """
    from ledger import output
    from ledger.results_privacy import ConsentEntry

    state = obj.ledger.consent(customer, as_of=as_of, known_at=known_at)
    output.write_rows(state.purposes, output_format, row_type=ConsentEntry)
    if state.restricted:
        output.message(f"note: processing of {customer}'s data is restricted")
    if state.erased:
        output.message(f"note: {customer} was erased: new consents are refused, withdrawals accepted")


@click.command()
@click.argument("customer", callback=customer_key)
@click.option("--reason", required=True, help="Why (kept in the event; no personal data).")
@click.option("--actor", help="Who restricted (kept in the event).")
@format_options()
@click.pass_obj
def restrict(obj: LedgerContext, customer: str, reason: str, actor: str | None, output_format: OutputFormat) -> None:
    """Restrict the processing of a customer's data: kept, and new events still recorded, but left out of analytics.

    A restricted customer is left out of customers lists and segments, the RFM export, the
    warehouse export, cohorts, trends and the report, each of which counts them as restricted.

    Example:

        ledger restrict C-000001 --reason "GDPR Art. 18: accuracy contested, ticket 311"
    """
    _say(obj.ledger.restrict(customer, reason, actor=actor), output_format)


@click.command()
@click.argument("customer", callback=customer_key)
@click.option("--reason", help="Why the restriction ends (kept in the event).")
@click.option("--actor", help="Who lifted it (kept in the event).")
@format_options()
@click.pass_obj
def unrestrict(obj: LedgerContext, customer: str, reason: str | None, actor: str | None, output_format: OutputFormat) -> None:
    """Lift a restriction of processing: the customer counts in analytics again.

    Example:

        ledger unrestrict C-000001 --reason "accuracy confirmed"
    """
    _say(obj.ledger.unrestrict(customer, reason, actor=actor), output_format)


def _say(receipt: PrivacyReceipt, output_format: OutputFormat) -> None:
    from ledger import output

    if output_format != "table":
        output.write_one(receipt, output_format)
        return
    state = "restricted" if receipt.restricted else "not restricted"
    output.write_text(f"{receipt.customer} is {state} (event {receipt.event_id} at position {receipt.position})")
