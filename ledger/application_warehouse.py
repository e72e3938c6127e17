"""The application's warehouse export: the log as Parquet star-schema tables for analysts' warehouses."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from commands.errors import InvalidArgumentError
from ledger.application_base import LedgerBase
from ledger.results_warehouse import WarehouseExport

WarehouseFormat = Literal["parquet"]


class LedgerWarehouse(LedgerBase):
    """Hand the log to a warehouse; reads the ledger only."""

    def export_warehouse(
        self, directory: str | Path, *, file_format: WarehouseFormat = "parquet", personal: bool = False
    ) -> WarehouseExport:
        """Write the events the warehouse in directory lacks as Parquet tables partitioned by month, and its manifest.

        A new directory gets the whole log; a later export adds only the events after the
        manifest's position. Personal fields are left out unless personal (then in clear,
        which needs the master key for encrypted ones); a warehouse keeps the choice it was made with.
        """
        # pyarrow takes longer to import than the whole of a query command: only this command loads it.
        from ledger.warehouse.export import export_warehouse

        if file_format != "parquet":
            raise InvalidArgumentError(f"file_format: expected 'parquet', got {file_format!r}")
        return export_warehouse(self.store, Path(directory), personal=personal)
