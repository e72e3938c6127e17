"""The eventsourcing application and infrastructure factory behind the ledger.

The library's SQLAlchemy module holds the events table and the notification
log; this module puts the ledger's recorder (``ledger.storage.recorder``) in its
factory and tunes its engine (SQLite pragmas, write locks) so that several
processes can append to one database file safely.
"""

from __future__ import annotations

import sqlite3
import time
from typing import Any, ClassVar

from eventsourcing.application import Application
from eventsourcing.persistence import Mapper, Transcoder
from eventsourcing.utils import Environment
from eventsourcing_sqlalchemy.factory import SQLAlchemyFactory
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from ledger.storage.mapper import LedgerMapper, OrjsonTranscoder
from ledger.storage.recorder import LedgerRecorder

APPLICATION_NAME = "Ledger"
SQLITE_BUSY_TIMEOUT_MS = 30_000
WAL_SWITCH_RETRY_S = 0.02
# A larger page cache keeps the (stream, version) index in memory during bulk
# imports, which the 2 MiB default does not (about half again as fast; bench/README.md).
SQLITE_CACHE_KIB = 256 * 1024


class LedgerFactory(SQLAlchemyFactory):
    """The library's SQLAlchemy factory with the ledger's recorder and an engine tuned for concurrent appends."""

    SQLITE_SYNCHRONOUS = "SQLITE_SYNCHRONOUS"
    application_recorder_class = LedgerRecorder

    def __init__(self, env: Environment):
        super().__init__(env)
        engine = self.datastore.engine
        assert isinstance(engine, Engine)
        if engine.dialect.name == "sqlite":
            tune_sqlite(engine, synchronous=self.env.get(self.SQLITE_SYNCHRONOUS) or "NORMAL")


def tune_sqlite(engine: Engine, synchronous: str) -> None:
    """Set WAL, busy timeout and durability pragmas, and let writers BEGIN IMMEDIATE.

    pysqlite opens transactions lazily and DEFERRED; a writer that read first
    then fails with "database is locked" when another process wrote meanwhile.
    Taking the write lock up front (BEGIN IMMEDIATE) makes writers wait instead.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        _use_wal(cursor)
        cursor.execute(f"PRAGMA synchronous = {synchronous}")
        cursor.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        # On the driver's connection: through SQLAlchemy's execution layer this cost a tenth of a single append.
        connection.connection.driver_connection.execute(f"BEGIN {mode}")  # type: ignore[union-attr]


def _use_wal(cursor: Any) -> None:
    """Switch a database to WAL (a lasting setting of the file), waiting for other processes doing the same.

    The switch needs the database to itself and SQLite does not wait for it (no busy
    handler): processes opening a new database at once got "database is locked".
    """
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            if cursor.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            if "readonly" in str(error):
                return  # opened read-only (verify, export): the file keeps its journal mode
            # Only another process's switch is worth waiting for: a full disk or a read-only file system is not.
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(WAL_SWITCH_RETRY_S)


class LedgerApplication(Application[Any]):
    """Holds the ledger's recorder and mapper; the library's ``ProjectionRunner`` can follow it given only ``SQLALCHEMY_URL``."""

    name = APPLICATION_NAME
    env: ClassVar[dict[str, str]] = {"PERSISTENCE_MODULE": "ledger.storage.persistence:LedgerFactory"}

    def construct_transcoder(self) -> Transcoder:
        """Use the orjson transcoder: event state is JSON-native already."""
        return OrjsonTranscoder()

    def construct_mapper(self) -> Mapper[Any]:
        """Map ``RecordedEvent`` objects rather than aggregate events."""
        return LedgerMapper()
