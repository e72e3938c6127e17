"""The ``ledger`` command: parse, call the ledger, render. No domain rules here.

The commands live in ``cli_commands/`` by area; this module is the group, its
shared options, and the one place where errors become exit codes.
"""

from __future__ import annotations

import signal
import threading
from typing import Any

import click

from cli_commands import (
    analytics,
    audit,
    cohorts,
    consent,
    exports,
    identity,
    privacy,
    projections,
    reading,
    report,
    serving,
    warehouse,
    writing,
)
from cli_commands.options import LedgerContext, hoist_group_options

# ExitCode.INTERRUPTED, without importing the ledger: Ctrl-C may come while it is half imported.
INTERRUPTED = 130


class LedgerGroup(click.Group):
    """The top-level group: the ledger's errors and Ctrl-C end a command with one line on stderr and a fixed exit code."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """Parse the group's options, also where given after the subcommand."""
        return super().parse_args(ctx, hoist_group_options(args, self.commands))

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; a LedgerError exits with its exit_code, Ctrl-C with ExitCode.INTERRUPTED."""
        with InterruptWatch() as interrupts:
            try:
                return super().invoke(ctx)
            except (click.exceptions.Exit, click.ClickException, click.Abort):
                raise
            except KeyboardInterrupt as interrupt:
                # An import's or a rebuild's interruption says what it had done by then.
                click.echo(f"Interrupted: {interrupt}" if str(interrupt) else "Interrupted.", err=True)
                ctx.exit(INTERRUPTED)
            except Exception as error:
                if interrupts.seen:
                    # Ctrl-C inside a library's native code (pydantic-core's) comes back wrapped in its own error.
                    click.echo("Interrupted.", err=True)
                    ctx.exit(INTERRUPTED)
                # The ledger is loaded by then: only a command that used it can raise its errors.
                from ledger import LedgerError

                if not isinstance(error, LedgerError):
                    raise
                click.echo(f"Error: {error}", err=True)
                ctx.exit(error.exit_code)


class InterruptWatch:
    """Note any Ctrl-C while a command runs (then raise KeyboardInterrupt as Python does), in the main thread."""

    def __init__(self) -> None:
        self.seen = False
        self._previous: Any = None

    def __enter__(self) -> InterruptWatch:
        if (
            threading.current_thread() is threading.main_thread()
            and signal.getsignal(signal.SIGINT) is signal.default_int_handler
        ):
            self._previous = signal.signal(signal.SIGINT, self._interrupted)
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)

    def _interrupted(self, signum: int, frame: Any) -> None:
        self.seen = True
        raise KeyboardInterrupt


@click.group(cls=LedgerGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option(
    "--db",
    envvar="LEDGER_DB",
    help="Database URL; a plain path means a SQLite file (default sqlite:///ledger.db).",
)
@click.option(
    "--config", "config_path", envvar="LEDGER_CONFIG", help="TOML configuration file (default ./ledger.toml if present)."
)
@click.version_option(package_name="customer-ledger")
@click.pass_context
def main(ctx: click.Context, db: str | None, config_path: str | None) -> None:
    """Event-sourced customer-interaction ledger.

    Every contact, purchase, refund, complaint step and survey answer is an
    immutable event in its customer's stream. Commands that print data take
    --format table|json|csv (--json and --csv for short): tables for people,
    one JSON object per line for machines. Messages go to stderr. Exit codes:
    0 ok, 1 bad data, 2 usage, 3 verification failed, 130 interrupted.

    Example:

        ledger --db sqlite:///ledger.db import events.jsonl
    """
    ctx.obj = LedgerContext(db, config_path)
    ctx.call_on_close(ctx.obj.close)


for command in (
    writing.append,
    writing.import_,
    writing.generate,
    reading.timeline,
    reading.log,
    reading.profile,
    reading.customers,
    reading.trends,
    reading.complaints,
    projections.projections,
    audit.verify,
    audit.digest,
    audit.void,
    audit.correct,
    exports.export,
    serving.serve,
    serving.api_keys,
    analytics.rates,
    report.report,
    cohorts.cohorts,
    privacy.erase,
    privacy.keys,
    consent.consent,
    consent.restrict,
    consent.unrestrict,
    identity.whois,
    identity.link,
    identity.unlink,
):
    main.add_command(command)
# The export group is exports's; the warehouse export lives in a module of its own.
exports.export.add_command(warehouse.warehouse)
exports.export.add_command(privacy.customer_export)


if __name__ == "__main__":
    main()
