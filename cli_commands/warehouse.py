"""The warehouse export: the log as Parquet star-schema tables, partitioned by month, with a manifest."""

from __future__ import annotations

import click

from cli_commands.options import LedgerContext


@click.command(name="warehouse")
@click.argument("directory", type=click.Path(file_okay=False))
@click.option(
    "--format", "file_format", type=click.Choice(["parquet"]), default="parquet", show_default=True, help="File format."
)
@click.option("--personal", is_flag=True, help="Include personal fields in clear (needs the master key for encrypted ones).")
@click.option("--json", "as_json", is_flag=True, help="Print the export's summary as one JSON line.")
@click.pass_obj
def warehouse(obj: LedgerContext, directory: str, file_format: str, personal: bool, as_json: bool) -> None:
    """Export the log as a star schema (fact_purchases, fact_contacts, fact_complaints, fact_surveys, dim_customer, dim_date).

    DIRECTORY gets one Parquet dataset per table, fact tables partitioned by month
    (month=YYYY-MM), and manifest.json with each export's log position, row counts,
    files with their SHA-256, and the ledger's digest at that position. Run it again
    to add only the events logged since; nothing new writes nothing. Reads the
    ledger only. Personal fields are left out unless --personal (see docs/warehouse.md).

    Example:

        ledger export warehouse warehouse/ --format parquet
    """
    from ledger import output

    found = obj.ledger.export_warehouse(directory, file_format="parquet", personal=personal)
    if found.sequence is None and not as_json:
        output.message(f"Nothing to export: the warehouse is at log position {found.position}, as is the ledger.")
    output.write_one(found, "json" if as_json else "table")
