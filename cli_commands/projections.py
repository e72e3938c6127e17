"""Operator commands on the read models: status, rebuild, run (and follow)."""

from __future__ import annotations

import signal
import threading
from typing import TYPE_CHECKING

import click

from cli_commands.options import LedgerContext, format_options

if TYPE_CHECKING:
    from ledger.output import OutputFormat


@click.group()
def projections() -> None:
    """Read models: status, rebuild, run.

    Example:

        ledger projections status
    """


@projections.command(name="status")
@format_options()
@click.pass_obj
def status(obj: LedgerContext, output_format: OutputFormat) -> None:
    """Show each projection's version, position, events behind, last update and state.

    Example:

        ledger projections status --json
    """
    from ledger import output
    from ledger.results import ProjectionStatus

    output.write_rows(obj.ledger.projections_status(), output_format, row_type=ProjectionStatus)


@projections.command(name="rebuild")
@click.argument("names", nargs=-1, metavar="[NAME]...")
@format_options()
@click.pass_obj
def rebuild(obj: LedgerContext, names: tuple[str, ...], output_format: OutputFormat) -> None:
    """Rebuild projections (all by default) into new tables, then switch to them at once.

    Queries keep using the old tables until the switch. An interrupted rebuild
    leaves them in use; the next rebuild starts again cleanly.

    Example:

        ledger projections rebuild profiles complaints
    """
    from ledger import output

    result = obj.ledger.rebuild(names, progress=True)
    if output_format == "table":
        output.message(f"rebuilt {', '.join(names) or 'all projections'}: {result.events} events in {result.seconds:.2f} s")
    else:
        output.write_one(result, output_format)


@projections.command(name="run")
@click.argument("names", nargs=-1, metavar="[NAME]...")
@click.option("--follow", is_flag=True, help="Keep following new events until Ctrl-C or SIGTERM.")
@click.pass_obj
def run(obj: LedgerContext, names: tuple[str, ...], follow: bool) -> None:
    """Catch projections up with the log (building any never built); with --follow, keep them current.

    With --follow, Ctrl-C or SIGTERM stops it cleanly after the batch in hand (exit 0).

    Example:

        ledger projections run --follow
    """
    from ledger import output

    if follow:
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        applied = obj.ledger.follow(names, stop=stop, progress=True)
    else:
        applied = obj.ledger.catch_up(names, progress=True)
    output.message(f"applied {applied} events")
