"""Analytics commands: exchange rates for reporting money in one currency."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

import click

from cli_commands.options import DAY, LedgerContext, check_range, format_options

if TYPE_CHECKING:
    from ledger.output import OutputFormat


@click.group()
def rates() -> None:
    """Exchange rates that convert money into the reporting currency.

    Example:

        ledger rates import eurofxref-hist.csv
    """


@rates.command(name="import")
@click.argument("file", type=click.Path(dir_okay=False))
@format_options()
@click.pass_obj
def import_rates(obj: LedgerContext, file: str, output_format: OutputFormat) -> None:
    """Import exchange rates (units per base-currency unit) as a new version.

    FILE is CSV with date,currency,rate columns, JSON (a list or one object per
    line with date, currency and rate), or the ECB reference-rate CSV as
    published (a Date column and one column per currency, units per euro).
    Queries use the latest rate on or before each purchase's day; a query known
    at an earlier time uses the rates imported by then.

    Example:

        ledger rates import eurofxref-hist.csv
    """
    from ledger import output

    found = obj.ledger.import_rates(file)
    output.write_one(found, output_format)


@rates.command(name="sample")
@click.option("--from", "start", default="2021-01-01", show_default=True, type=DAY, help="First day of the rates.")
@click.option("--to", "end", type=DAY, help="Last day (default today).")
@click.option("--seed", default=1, show_default=True, type=int, help="Random seed (same seed, same output).")
def sample(start: date, end: date | None, seed: int) -> None:
    """Write sample exchange rates for the generated events' currencies (ECB layout, units per euro) to stdout.

    Example:

        ledger rates sample --from 2021-01-01 > rates.csv
    """
    from ledger.sample_data import sample_rates_csv

    check_range(start, end or datetime.now(UTC).date(), "--from", "--to")
    click.echo(sample_rates_csv(start, end or datetime.now(UTC).date(), seed), nl=False)
