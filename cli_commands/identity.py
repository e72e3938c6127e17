"""Identifiers: link and unlink them, say who holds one, and read customers given as KIND:VALUE."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import click

from cli_commands.options import MOMENT, LedgerContext, format_options

if TYPE_CHECKING:
    from ledger.output import OutputFormat

ON_UNKNOWN = click.option(
    "--on-unknown",
    type=click.Choice(["create", "reject"]),
    help="An event naming its customer by an identifier nobody holds: create that customer, or reject the event"
    " (default: [identity] on_unknown, reject unless configured).",
)


def customer_key(ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    """Read a customer argument: a key, or KIND:VALUE naming the customer who holds that identifier."""
    if value is None:
        return None
    return ctx.find_object(LedgerContext).ledger.resolve_customer(value)  # type: ignore[union-attr]


@click.command()
@click.argument("identifier", metavar="KIND:VALUE")
@click.option("--as-of", type=MOMENT, help="Who held it on this date (the whole day) or at this time (default now).")
@format_options()
@click.pass_obj
def whois(obj: LedgerContext, identifier: str, as_of: datetime | date | None, output_format: OutputFormat) -> None:
    """Show who holds an identifier, since when, and who held it before.

    Example:

        ledger whois email:ann@example.com --as-of 2024-06-30
    """
    from ledger import output
    from ledger.results_identity import Holding

    found = obj.ledger.whois(identifier, as_of=as_of)
    if output_format == "json":
        output.write_one(found, "json")
        return
    if output_format == "table":
        held = f"customer {found.holder} since {found.since}" if found.holder else "nobody"
        output.write_text(f"{found.kind} held by {held}")
    output.write_rows(found.holdings, output_format, row_type=Holding)


def _identifier_command(name: str, summary: str, example: str) -> click.Command:
    @click.command(name=name, help=f"{summary}\n\nExample:\n\n    {example}")
    @click.argument("customer", callback=customer_key)
    @click.argument("identifier", metavar="KIND:VALUE")
    @click.option("--at", "at", type=MOMENT, help="When it happened (ISO date or datetime; default now).")
    @click.option("--source", help="Which service or file recorded it.")
    @click.option("--actor", help="Who recorded it.")
    @format_options(aliases=False)
    @click.pass_obj
    def command(
        obj: LedgerContext,
        customer: str,
        identifier: str,
        at: datetime | date | None,
        source: str | None,
        actor: str | None,
        output_format: OutputFormat,
    ) -> None:
        from ledger import output

        act = obj.ledger.link_identifier if name == "link" else obj.ledger.unlink_identifier
        receipt = act(customer, identifier, occurred_at=at, source=source, actor=actor)
        if output_format == "table":
            status = "duplicate, already stored" if receipt.duplicate else "stored"
            output.write_text(f"{receipt.event_id} at position {receipt.position} ({status})")
        else:
            output.write_one(receipt, output_format)

    return command


link = _identifier_command(
    "link",
    "Link an identifier (email, phone, wechat_openid, loyalty_card, national_id or a configured kind) to a customer."
    " Refused if another customer holds it, or if its value names nobody.",
    "ledger link C-000001 email:ann@example.com",
)
unlink = _identifier_command(
    "unlink",
    "Unlink an identifier from the customer who holds it, so that another customer may hold it.",
    "ledger unlink C-000001 phone:+441632960961",
)
