"""The cohorts command: the classic triangle of customers by first purchase period."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from cli_commands.options import LedgerContext, as_of_options, format_options
from cli_commands.reading import report_lag

if TYPE_CHECKING:
    from ledger import CohortsResult
    from ledger.output import OutputFormat


@click.command()
@click.option("--by", type=click.Choice(["month", "week"]), default="month", show_default=True, help="Cohort period.")
@click.option(
    "--metric",
    type=click.Choice(["retention", "revenue"]),
    default="retention",
    show_default=True,
    help="Share of the cohort active, or its net revenue (reporting currency).",
)
@click.option(
    "--convention",
    type=click.Choice(["n_period", "unbounded"]),
    default="n_period",
    show_default=True,
    help="Active in exactly period k, or in k or any later period (revenue: running total).",
)
@click.option("--currency", help="Report revenue in this currency (default the base currency).")
@as_of_options
@format_options()
@click.pass_obj
def cohorts(obj: LedgerContext, output_format: OutputFormat, **options: Any) -> None:
    """Show customers by first purchase month and their retention or revenue in each later month.

    Column k is k periods after the cohort's first; empty where a cohort is too young
    to have reached it. The "all" row weighs cohorts by size, over only those that
    reached each period. JSON gives the whole table as one object.

    Example:

        ledger cohorts --by month --metric retention --convention unbounded
    """
    from ledger import output

    found = obj.ledger.cohorts(**options, progress=True)
    report_lag(found)
    if output_format == "json":
        output.write_one(found, output_format)
        return
    output.write_rows(_rows(found, percent=output_format == "table"), output_format)


def _rows(found: CohortsResult, *, percent: bool) -> list[dict[str, Any]]:
    """One dict per cohort (and the overall row): cohort, size, then a column per period since acquisition."""

    def cells(values: list[float | str | None]) -> dict[str, Any]:
        shown = [round(100 * v, 1) if percent and isinstance(v, float) else v for v in values]
        return {str(k): v for k, v in enumerate(shown)}

    rows = [{"cohort": row.cohort, "size": row.size, **cells(row.values)} for row in found.cohorts]
    if rows:
        rows.append({"cohort": "all", "size": sum(row.size for row in found.cohorts), **cells(found.overall)})
    return rows
