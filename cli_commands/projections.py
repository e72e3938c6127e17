"""Operator commands on the read models: status, rebuild, run (and follow)."""

from __future__ import annotations

import signal
import threading
from typing import TYPE_CHECKING

import click

from cli_commands.options import LedgerContext, format_options, quiet_option

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
    """Show each projection's version, position, events behind, when it last advanced, last rebuild switch and state.

    Example:

        ledger projections status --json
    """
    from ledger import output
    from ledger.results import ProjectionStatus

    output.write_rows(obj.ledger.projections_status(), output_format, row_type=ProjectionStatus)


@projections.command(name="rebuild")
@click.argument("names", nargs=-1, metavar="[NAME]...")
@quiet_option
@format_options()
@click.pass_obj
def rebuild(obj: LedgerContext, names: tuple[str, ...], quiet: bool, output_format: OutputFormat) -> None:
    """Rebuild projections (all by default) into new tables, then switch to them at once.

    Queries keep using the old tables until the switch. An interrupted rebuild
    (Ctrl-C: exit 130, saying how far it got) leaves them in use; the next
    rebuild starts again cleanly.

    Example:

        ledger projections rebuild profiles complaints
    """
    from ledger import output

    result = obj.ledger.rebuild(names, progress=not quiet)
    if output_format != "table":
        output.write_one(result, output_format)
    elif not quiet:
        output.message(f"rebuilt {', '.join(names) or 'all projections'}: {result.events} events in {result.seconds:.2f} s")


@projections.command(name="run")
@click.argument("names", nargs=-1, metavar="[NAME]...")
@click.option("--follow", is_flag=True, help="Keep following new events until Ctrl-C or SIGTERM.")
@quiet_option
@format_options()
@click.pass_obj
def run(obj: LedgerContext, names: tuple[str, ...], follow: bool, quiet: bool, output_format: OutputFormat) -> None:
    """Catch projections up with the log (building any never built); with --follow, keep them current.

    With --follow, Ctrl-C or SIGTERM stops it cleanly after the batch in hand (exit 0).
    It ends with how many events it applied: a line on stderr, or {"applied": N}
    on stdout with --json.

    Example:

        ledger projections run --follow
    """
    from ledger import output

    if follow:
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        applied = obj.ledger.follow(names, stop=stop, progress=not quiet)
    else:
        applied = obj.ledger.catch_up(names, progress=not quiet)
    if output_format != "table":
        output.write_rows([{"applied": applied}], output_format)
    elif not quiet:
        output.message(f"applied {applied} events")
