"""The warehouse's manifest: every export's log range, digest, row counts and files, so that a load can be verified."""

from __future__ import annotations

import fcntl
import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from commands.errors import LedgerError
from ledger.audit.digest import DigestDocument

MANIFEST = "manifest.json"
LOCK = ".export-lock"
WAREHOUSE_FORMAT: Literal["ledger-warehouse/1"] = "ledger-warehouse/1"


class WarehouseError(LedgerError):
    """A warehouse directory that cannot take this export (not ours, another setting, busy, or ahead of the ledger)."""


class ExportedFile(BaseModel):
    """One Parquet file an export wrote: its path under the warehouse, rows and SHA-256."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str
    table: str
    rows: int = Field(ge=0)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class ExportEntry(BaseModel):
    """One export: the log positions after ``after`` up to ``position``, and what it wrote."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sequence: int = Field(ge=1)
    after: int = Field(ge=0)
    position: int = Field(ge=0)
    created_at: str
    # The ledger's digest at ``position`` (as ``ledger digest`` writes it): ``ledger verify --digest`` takes it.
    digest: DigestDocument
    rows: dict[str, int]
    files: list[ExportedFile]
    # Customers whose events in these positions were left out because their processing was restricted then.
    restricted: int = Field(default=0, ge=0)


class Manifest(BaseModel):
    """The whole warehouse: its exports in order and the totals a complete load must show."""

    model_config = ConfigDict(extra="forbid")

    format: Literal["ledger-warehouse/1"] = WAREHOUSE_FORMAT
    personal: bool
    position: int = 0
    dates: tuple[str, str] | None = None  # the days dim_date covers, without gaps
    rows: dict[str, int] = Field(default_factory=dict)
    exports: list[ExportEntry] = Field(default_factory=list)

    def add(self, entry: ExportEntry, dates: tuple[str, str] | None) -> None:
        """Record an export and move the totals on."""
        self.exports.append(entry)
        self.position = entry.position
        self.dates = dates
        for table, count in entry.rows.items():
            self.rows[table] = self.rows.get(table, 0) + count


def read_manifest(directory: Path) -> Manifest | None:
    """Return the warehouse's manifest, None for a directory without one, or raise WarehouseError if it is not ours."""
    path = directory / MANIFEST
    if not path.exists():
        return None
    try:
        return Manifest.model_validate_json(path.read_bytes())
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        where = ".".join(map(str, first["loc"]))
        raise WarehouseError(f"{path}: not a ledger warehouse manifest ({where}: {first['msg']})") from None


def write_manifest(directory: Path, manifest: Manifest) -> None:
    """Replace the manifest at once (a reader never sees half of one), after every file it lists is written."""
    temporary = directory / f".{MANIFEST}.tmp"
    temporary.write_text(manifest.model_dump_json(indent=2) + "\n", encoding="utf-8")
    os.replace(temporary, directory / MANIFEST)


def sha256_of(path: Path) -> str:
    """Return a file's SHA-256."""
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@contextmanager
def exclusive(directory: Path) -> Iterator[None]:
    """Hold the warehouse's export lock (one export at a time per directory), or raise WarehouseError."""
    with (directory / LOCK).open("a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise WarehouseError(f"{directory}: another export into this warehouse is running") from None
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
