"""Export the log after the warehouse's position into its star schema: read the log once, write Parquet, then the manifest.

Reads only: the log is read once, in pages with the one log reader, and the digest at
the export's position is the previous export's root extended over those events (computed,
never stored as a checkpoint). A void or correction reads its customer's stream to
write the reversal and corrected rows; customers whose details changed get a new
dim_customer row folded from their stream.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pyarrow.dataset as ds
import pyarrow.parquet as pq
from sqlalchemy.engine import Connection

from commands.corrections import CORRECTION_TYPES
from commands.events import EVENT_TYPES
from commands.records import stored_hash
from commands.timeutil import format_utc
from ledger.audit.chain import DIGEST_FORMAT, GENESIS_ROOT, next_root
from ledger.audit.digest import DigestDocument
from ledger.privacy import states as privacy_states
from ledger.privacy.reveal import Reveal
from ledger.privacy.sealing import personal_values
from ledger.results_warehouse import WarehouseExport
from ledger.storage.log_reader import as_uuid, log_head, raw_pages, read_streams
from ledger.storage.store import EventStore
from ledger.warehouse import dimensions, tables
from ledger.warehouse.manifest import (
    ExportedFile,
    ExportEntry,
    Manifest,
    WarehouseError,
    exclusive,
    read_manifest,
    sha256_of,
    write_manifest,
)
from projections.facts import Fact, effective, iso

# Events that change what dim_customer says of a customer.
_DETAIL_CHANGES = dimensions.DETAIL_TYPES | {"customer_erased"}


def export_warehouse(store: EventStore, directory: Path, *, personal: bool) -> WarehouseExport:
    """Write the events after the warehouse's position (all of them into a new one) and record the export."""
    directory.mkdir(parents=True, exist_ok=True)
    with exclusive(directory):
        manifest = read_manifest(directory) or Manifest(personal=personal)
        if manifest.personal != personal:
            held = "with" if manifest.personal else "without"
            raise WarehouseError(f"{directory}: this warehouse was exported {held} personal data; export the same way")
        after = manifest.position
        # The digest is the previous export's root extended over the events read here: the log is read once.
        root = manifest.exports[-1].digest.root if manifest.exports else GENESIS_ROOT
        with store.scan_connection() as connection:
            head = log_head(store, connection)
            if head < after:
                raise WarehouseError(f"{directory}: the warehouse is at log position {after}, beyond this ledger's {head}")
            if head == after:
                return WarehouseExport(str(directory), None, after, after, 0, {}, 0, root, personal)
            batch = _Batch(store, personal, head, privacy_states.restricted_customers(store))
            for page in raw_pages(store, connection, after, head):
                for position, stream_id, version, _topic, raw_state in page:
                    raw = bytes(raw_state)
                    root = next_root(root, position, stored_hash(raw))
                    batch.add(connection, stream_id, version, position, orjson.loads(raw))
            customers = batch.customer_rows(connection)
        created = format_utc(datetime.now(UTC))
        digest = DigestDocument(format=DIGEST_FORMAT, position=head, count=head, root=root, created_at=created)
        sequence = len(manifest.exports) + 1
        days, covered = dimensions.new_days(manifest.dates, batch.days())
        files = _write(directory, sequence, batch, customers, days, personal)
        rows = {name: sum(f.rows for f in files if f.table == name) for name in (*tables.FACT_TABLES, *_DIMENSIONS)}
        entry = ExportEntry(
            sequence=sequence,
            restricted=len(batch.left_out),
            after=after,
            position=digest.position,
            created_at=created,
            digest=digest,
            rows=rows,
            files=files,
        )
        manifest.add(entry, covered)
        write_manifest(directory, manifest)
    return WarehouseExport(
        str(directory),
        sequence,
        after,
        digest.position,
        batch.events,
        rows,
        len(files),
        digest.root,
        personal,
        restricted=len(batch.left_out),
    )


_DIMENSIONS = ("dim_customer", "dim_date")


class _Batch:
    """The rows one export gathers while it reads the log."""

    def __init__(self, store: EventStore, personal: bool, until: int, restricted: set[str]):
        self.store = store
        self.restricted = restricted
        self.left_out: set[str] = set()  # the restricted customers whose events this export read and left out
        self.personal = personal
        self.until = until
        self.view = Reveal(store.engine, store.keys, personal=True) if personal else None
        self.facts = {name: tables.Columns(name, personal) for name in tables.FACT_TABLES}
        self.events = 0
        self.new: dict[Any, tuple[str, list[Fact]]] = {}  # streams that start in this export, with their details
        self.changed: dict[Any, str] = {}  # streams begun earlier whose details changed (or were corrected)

    def add(self, connection: Connection, stream_id: Any, version: int, position: int, state: dict[str, Any]) -> None:
        """Take one stored event (its decoded state) into the export's rows; none of a restricted customer's."""
        self.events += 1
        event_type, customer, data = state["type"], state["customer"], state["data"]
        if customer in self.restricted:
            # Not in any fact row nor in dim_customer (which only takes customers whose events came here).
            self.left_out.add(customer)
            return
        if self.view is not None:
            self._reveal(customer, event_type, state["event_id"], data)
        occurred = state["occurred_at"]
        if not occurred.endswith("Z"):
            occurred = iso(datetime.fromisoformat(occurred)) or occurred
        table = tables.TABLE_OF_TYPE.get(event_type)
        if table is not None:
            self.facts[table].add(
                tables.fact_values(customer, event_type, state["event_id"], position, occurred, data, position, 1)
            )
        if version == 1:
            self.new[stream_id] = (customer, [])
        if event_type in dimensions.DETAIL_TYPES and stream_id in self.new:
            self.new[stream_id][1].append(Fact(position, event_type, state["event_id"], occurred, state["recorded_at"], data))
        elif event_type in _DETAIL_CHANGES:
            self.changed[stream_id] = customer
        if event_type in CORRECTION_TYPES:
            self._correct(connection, customer, stream_id, position)

    def _correct(self, connection: Connection, customer: str, stream_id: Any, position: int) -> None:
        """Write the reversal and corrected rows of the events whose figures a void or correction changed."""
        found = read_streams(self.store, connection, [stream_id], upto=position).get(stream_id)
        stream = [] if found is None else found[1]
        if self.view is not None:
            for fact in stream:
                self._reveal(customer, fact.type, fact.event_id, fact.data)
        before = self._rows(customer, effective([f for f in stream if f.position < position]), position)
        now = self._rows(customer, effective(stream), position)
        for event_id in before.keys() | now.keys():
            old, new = before.get(event_id), now.get(event_id)
            if old == new:
                continue
            if old is not None:
                self.facts[old[0]].add({**old[1], "sign": -1, "amount": _negated(old[1].get("amount"))})
            if new is not None:
                self.facts[new[0]].add(new[1])
        if any(f.type in dimensions.DETAIL_TYPES for f in stream):
            self.new.pop(stream_id, None)
            self.changed[stream_id] = customer

    @staticmethod
    def _rows(customer: str, facts: list[Fact], position: int) -> dict[str, tuple[str, dict[str, Any]]]:
        rows = {}
        for fact in facts:
            if fact.type in tables.TABLE_OF_TYPE:
                rows[fact.event_id] = (tables.TABLE_OF_TYPE[fact.type], tables.row_of(customer, fact, position, 1))
        return rows

    def _reveal(self, customer: str, event_type: str, event_id: str, data: dict[str, Any]) -> None:
        """Put an event's personal values in clear (``[erased]`` after an erasure), for a warehouse that holds them."""
        assert self.view is not None
        data_cls = EVENT_TYPES.get(event_type)
        for path, stored in [] if data_cls is None else personal_values(data_cls, data):
            value, _ = self.view.show(customer, event_id, path, stored)
            if path.startswith("changes."):
                data["changes"][path.removeprefix("changes.")] = value
            else:
                data[path] = value

    def days(self) -> set[str]:
        """Return the days of every fact row."""
        return set().union(*(columns.days() for columns in self.facts.values()))

    def customer_rows(self, connection: Connection) -> list[dict[str, Any]]:
        """Return a dim_customer row for each new customer and each one whose details changed."""
        rows = [
            dimensions.customer_row(customer, str(as_uuid(stream_id)), self.until, details, self.personal)
            for stream_id, (customer, details) in self.new.items()
        ]
        stream_ids = [stream_id for stream_id in self.changed if stream_id not in self.new]
        for stream_id, (customer, facts) in read_streams(self.store, connection, stream_ids, upto=self.until).items():
            if self.view is not None:
                for fact in facts:
                    self._reveal(customer, fact.type, fact.event_id, fact.data)
            details = [f for f in effective(facts) if f.type in dimensions.DETAIL_TYPES]
            rows.append(dimensions.customer_row(customer, str(as_uuid(stream_id)), self.until, details, self.personal))
        return rows


def _negated(amount: str | None) -> str | None:
    if amount is None:
        return None
    return amount[1:] if amount.startswith("-") else f"-{amount}"


def _write(
    directory: Path, sequence: int, batch: _Batch, customers: list[dict[str, Any]], days: list[Any], personal: bool
) -> list[ExportedFile]:
    """Write the export's Parquet files (after removing any an interrupted run of this sequence left) and list them."""
    stem = f"part-{sequence:06d}"
    for leftover in directory.rglob(f"{stem}-*.parquet"):
        leftover.unlink()
    written: list[Path] = []
    for name, columns in batch.facts.items():
        if len(columns):
            ds.write_dataset(
                columns.arrow(),
                directory / name,
                format="parquet",
                partitioning=["month"],
                partitioning_flavor="hive",
                basename_template=f"{stem}-{{i}}.parquet",
                existing_data_behavior="overwrite_or_ignore",
                file_visitor=lambda file: written.append(Path(file.path)),
            )
    for name, table in (
        ("dim_customer", dimensions.customer_table(customers, personal) if customers else None),
        ("dim_date", dimensions.date_table(days) if days else None),
    ):
        if table is not None:
            path = directory / name / f"{stem}-0.parquet"
            path.parent.mkdir(parents=True, exist_ok=True)
            pq.write_table(table, path)
            written.append(path)
    return [
        ExportedFile(
            path=path.relative_to(directory).as_posix(),
            table=path.relative_to(directory).parts[0],
            rows=pq.ParquetFile(path).metadata.num_rows,
            sha256=sha256_of(path),
        )
        for path in written
    ]
