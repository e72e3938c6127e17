"""Where each projection stands: its active generation and version, and its position in the log.

Positions live in the eventsourcing library's tracking table (one row per
``name@gN``, as its SQLAlchemyTrackingRecorder defines it). The recorder's own
``insert_tracking`` opens a separate ORM session per call and refuses a position
that is not new; a batch must commit its rows and position together, so we
write that table with Core on the batch's own connection. The small
``ledger_projections`` table holds what tracking does not: the active
generation (the pointer a rebuild switches), its version and a rebuild in progress.

Only the operator commands create these tables (``prepare``): a query on a
database that lacks them, read-only perhaps, reads every projection as never built.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from weakref import WeakSet

from eventsourcing_sqlalchemy.recorders import SQLAlchemyTrackingRecorder
from sqlalchemy import Column, Integer, MetaData, String, Table, Text, insert, inspect, select, update
from sqlalchemy.engine import Connection, Engine

from ledger.storage.store import EventStore
from projections.facts import iso
from projections.registry import PROJECTIONS, table_prefix

meta_table = Table(
    "ledger_projections",
    MetaData(),
    Column("name", String(32), primary_key=True),
    Column("generation", Integer),
    Column("version", Integer),
    Column("building", Integer),
    Column("updated_at", Text),
)
TRACKING_TABLE = "ledger_projection_tracking"
# When each generation's position last moved, beside the library's tracking row of the same name:
# its table is the library's, and a ledger from before this one has the tracking rows but not these.
advanced_table = Table(
    "ledger_projection_advanced",
    MetaData(),
    Column("application_name", String(32), primary_key=True),
    Column("advanced_at", Text, nullable=False),
)
# Engines whose database has the tables: nothing drops them, so each engine looks once.
_FOUND: WeakSet[Engine] = WeakSet()
_ADVANCED_FOUND: WeakSet[Engine] = WeakSet()


@dataclass(frozen=True, slots=True)
class MetaRow:
    """A projection's pointer row."""

    name: str
    generation: int | None
    version: int | None
    building: int | None
    updated_at: str | None


class ProjectionState:
    """The pointer and tracking tables of one event store."""

    def __init__(self, store: EventStore):
        self.store = store
        recorder = SQLAlchemyTrackingRecorder(store.recorder.datastore, tracking_table_name=TRACKING_TABLE)  # type: ignore[attr-defined]
        self.tracking = recorder.tracking_table

    def prepare(self) -> None:
        """Create the tables and pointer rows if missing: the operator commands do, before they write.

        Reads first: on a ledger that has them, no write lock is taken.
        """
        self.store.ensure_tables([meta_table, self.tracking, advanced_table])
        with self.store.engine.connect() as connection:
            known = set(connection.execute(select(meta_table.c.name)).scalars())
        if not set(PROJECTIONS) <= known:
            with self.store.schema_transaction() as connection:
                known = set(connection.execute(select(meta_table.c.name)).scalars())
                missing = [{"name": name} for name in PROJECTIONS if name not in known]
                if missing:  # another process may have inserted them meanwhile
                    connection.execute(insert(meta_table), missing)
        _FOUND.add(self.store.engine)

    def exists(self, connection: Connection) -> bool:
        """Tell whether the database has the pointer and tracking tables (an operator command created them)."""
        if self.store.engine in _FOUND:
            return True
        inspector = inspect(connection)
        if not all(inspector.has_table(name) for name in (meta_table.name, self.tracking.name)):
            return False
        _FOUND.add(self.store.engine)
        return True

    # Every query reads these rows first, so they are read with driver SQL: a Core select cost
    # 120 µs here against 27 µs, and an as-of profile reads them four times.

    def read(self, connection: Connection, *, lock: bool = False) -> dict[str, MetaRow]:
        """Return every projection's pointer row (never built without one); lock them (PostgreSQL) to serialise with switches."""
        found = {name: MetaRow(name, None, None, None, None) for name in PROJECTIONS}
        if not self.exists(connection):
            return found
        columns = ", ".join(column.name for column in meta_table.c)
        lock_rows = " FOR UPDATE" if lock and self.store.is_postgres else ""
        for row in connection.exec_driver_sql(f"SELECT {columns} FROM {meta_table.name} ORDER BY name{lock_rows}"):
            found[row[0]] = MetaRow(*row)
        return found

    def position(self, connection: Connection, name: str, generation: int) -> int:
        """Return how far a generation has read the log (0 if it has not started)."""
        sql = f"SELECT notification_id FROM {self.tracking.name} WHERE application_name = {self.store.mark}"
        found = connection.exec_driver_sql(sql, (f"{name}@g{generation}",)).scalar()
        return int(found or 0)

    def advanced_at(self, connection: Connection, name: str, generation: int) -> str | None:
        """Return when a generation's position last moved (ISO UTC), None if never or not recorded yet."""
        if self.store.engine not in _ADVANCED_FOUND:
            if not inspect(connection).has_table(advanced_table.name):
                return None
            _ADVANCED_FOUND.add(self.store.engine)
        sql = f"SELECT advanced_at FROM {advanced_table.name} WHERE application_name = {self.store.mark}"
        found = connection.exec_driver_sql(sql, (f"{name}@g{generation}",)).scalar()
        return None if found is None else str(found)

    def set_position(self, connection: Connection, name: str, generation: int, position: int) -> None:
        """Record a generation's position and the time it moved, in the caller's transaction."""
        c, key = self.tracking.c, f"{name}@g{generation}"
        done = connection.execute(update(self.tracking).where(c.application_name == key).values(notification_id=position))
        if done.rowcount == 0:
            connection.execute(insert(self.tracking).values(application_name=key, notification_id=position))
        now, a = iso(datetime.now(UTC)), advanced_table.c
        done = connection.execute(update(advanced_table).where(a.application_name == key).values(advanced_at=now))
        if done.rowcount == 0:
            connection.execute(insert(advanced_table).values(application_name=key, advanced_at=now))

    def forget(self, connection: Connection, name: str, generation: int) -> None:
        """Drop a generation's tracking row and its time."""
        key = f"{name}@g{generation}"
        connection.execute(self.tracking.delete().where(self.tracking.c.application_name == key))
        connection.execute(advanced_table.delete().where(advanced_table.c.application_name == key))

    def update(self, connection: Connection, name: str, **values: int | None) -> None:
        """Update a pointer row, stamping the time."""
        connection.execute(
            update(meta_table).where(meta_table.c.name == name).values(updated_at=iso(datetime.now(UTC)), **values)
        )

    def generations_on_disk(self, connection: Connection, name: str) -> set[int]:
        """Return the generations whose tables exist (stale ones included)."""
        found: set[int] = set()
        for table in inspect(connection).get_table_names():
            if table.startswith(f"lp_{name}_g"):
                number = table[len(f"lp_{name}_g") :].split("_", 1)[0]
                if number.isdigit() and table.startswith(table_prefix(name, int(number))):
                    found.add(int(number))
        return found
