"""What the warehouse export returns."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class WarehouseExport:
    """One export into a warehouse: the log positions it covered, the rows and files it wrote, the digest it recorded.

    ``sequence`` is None when the log had nothing after the warehouse's position: then nothing was written.
    """

    directory: str
    sequence: int | None
    after: int
    position: int
    events: int
    rows: dict[str, int]
    files: int
    digest_root: str
    personal: bool
    restricted: int = 0  # customers whose events this export left out (processing restricted)
