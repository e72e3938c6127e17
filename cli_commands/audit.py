"""Audit commands: verify the stored log, take a digest of it, void or correct an earlier event."""

from __future__ import annotations

from typing import IO, TYPE_CHECKING

import click

from cli_commands.options import LedgerContext, format_options, parse_assignments, quiet_option

if TYPE_CHECKING:
    from ledger import Receipt
    from ledger.output import OutputFormat


@click.command()
@click.option("--digest", "digest_file", type=click.File("r"), help="Also prove the log up to this digest is unchanged.")
@quiet_option
@format_options()
@click.pass_obj
def verify(obj: LedgerContext, digest_file: IO[str] | None, quiet: bool, output_format: OutputFormat) -> None:
    """Verify the stored log: hash chains, positions, checkpoints; exit 3 at the first bad event.

    Example:

        ledger verify --digest digest-2024-12-31.json
    """
    from ledger import output
    from ledger.audit.digest import read_digest

    digest = read_digest(digest_file.read(), digest_file.name) if digest_file else None
    report = obj.ledger.verify(digest)
    if report.events == 0 and not quiet:
        output.message("ledger is empty: nothing to verify")
    if output_format != "table":
        output.write_one(report, output_format)
    elif report.events and not quiet:
        proven = f", digest at position {report.digest_position} proven" if report.digest_position is not None else ""
        output.write_text(
            f"ok: {report.events} events in {report.streams} streams, {report.checkpoints} checkpoints{proven}; "
            f"{report.seconds:.2f} s ({report.rate:,.0f} events/s)"
        )


@click.command()
@format_options("json")
@click.pass_obj
def digest(obj: LedgerContext, output_format: OutputFormat) -> None:
    """Print a digest of the whole log (position, count, root hash) to keep outside the database.

    The JSON line it prints by default is what verify --digest reads back.

    Example:

        ledger digest > digest-$(date +%F).json
    """
    from ledger import output

    output.write_one(obj.ledger.digest(), output_format)


@click.command()
@click.argument("event_id")
@click.option("--reason", required=True, help="Why the event is void (kept in the ledger).")
@click.option("--actor", help="Who voids it.")
@format_options()
@click.pass_obj
def void(obj: LedgerContext, event_id: str, reason: str, actor: str | None, output_format: OutputFormat) -> None:
    """Void an earlier event: a new event says it never happened; the original stays.

    Example:

        ledger void shop-123 --reason "test order" --actor auditor-7
    """
    _write_receipt(obj.ledger.void(event_id, reason, actor=actor), f"voids {event_id}", output_format)


@click.command()
@click.argument("event_id")
@click.argument("fields", nargs=-1, required=True, metavar="KEY=VALUE...")
@click.option("--reason", help="Why the data is corrected (kept in the ledger).")
@click.option("--actor", help="Who corrects it.")
@format_options()
@click.pass_obj
def correct(
    obj: LedgerContext, event_id: str, fields: tuple[str, ...], reason: str | None, actor: str | None, output_format: OutputFormat
) -> None:
    """Correct data fields of an earlier event: a new event carries the changes; the original stays.

    Example:

        ledger correct survey-881 score=7 --reason "typed 1 for 7" --actor agent-3
    """
    receipt = obj.ledger.correct(event_id, parse_assignments(fields), reason=reason, actor=actor)
    _write_receipt(receipt, f"corrects {event_id}", output_format)


def _write_receipt(receipt: Receipt, what: str, output_format: OutputFormat) -> None:
    from ledger import output

    if output_format == "table":
        output.write_text(f"{receipt.event_id} at position {receipt.position}: {what}")
    else:
        output.write_one(receipt, output_format)
