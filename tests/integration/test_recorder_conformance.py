"""The ledger's recorder passes the eventsourcing library's own recorder suite, on SQLite and PostgreSQL.

The library's ``ApplicationRecorderTestCase`` inserts stored events of any topic and state
under random UUIDs, checks gapless notification ids, selection by position, stop and
topic, concurrent writers with readers, and (its optional test) ``subscribe()``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid

import pytest
from eventsourcing.persistence import StoredEvent
from eventsourcing.tests import persistence as library_suite
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from ledger.storage.recorder import LedgerRecorder
from ledger.storage.store import EventStore
from ledger.storage.subscription import PollingSubscription
from tests.conftest import POSTGRES_ENV


class _LedgerRecorderCase(library_suite.ApplicationRecorderTestCase[LedgerRecorder]):
    """The suite's tests on a fresh database per test, with the optional subscribe test made a test."""

    __test__ = False  # the cases below, each on its database

    url = ""

    def setUp(self) -> None:
        self.stores: list[EventStore] = []

    def tearDown(self) -> None:
        for store in self.stores:
            store.close()

    def create_recorder(self) -> LedgerRecorder:
        store = EventStore(self.url)
        self.stores.append(store)
        return store.recorder

    def test_insert_subscribe(self) -> None:
        self.optional_test_insert_subscribe()

    def test_insert_returns_positions_after_the_head_in_one_batch(self) -> None:
        recorder = self.create_recorder()
        stream = uuid.uuid4()
        first = recorder.insert_events([StoredEvent(stream, 1, "topic", b"a"), StoredEvent(stream, 2, "topic", b"b")])
        second = recorder.insert_events([StoredEvent(stream, 3, "topic", b"c")])
        assert (first, second) == ([1, 2], [3])
        assert [e.state for e in recorder.select_events(stream, gt=1, desc=True, limit=1)] == [b"c"]
        assert [e.originator_version for e in recorder.select_events(str(stream), lte=2)] == [1, 2]


class TestLedgerRecorderOnSQLite(_LedgerRecorderCase):
    """The suite on a SQLite file, where ``subscribe()`` polls by position."""

    __test__ = True

    def setUp(self) -> None:
        super().setUp()
        self.folder = tempfile.mkdtemp()
        self.url = f"sqlite:///{os.path.join(self.folder, 'ledger.db')}"

    def tearDown(self) -> None:
        super().tearDown()
        shutil.rmtree(self.folder)

    def test_subscribe_is_the_polling_subscription(self) -> None:
        with self.create_recorder().subscribe(gt=None) as subscription:
            assert isinstance(subscription, PollingSubscription)


@pytest.mark.postgres
class TestLedgerRecorderOnPostgres(_LedgerRecorderCase):
    """The suite on a new PostgreSQL schema per test, where ``subscribe()`` is the library's LISTEN/NOTIFY."""

    __test__ = True

    def setUp(self) -> None:
        super().setUp()
        base = os.environ.get(POSTGRES_ENV)
        if not base:
            self.skipTest(f"PostgreSQL tests need {POSTGRES_ENV}")
        self.schema = f"t_{uuid.uuid4().hex[:12]}"
        self.admin = create_engine(base)
        with self.admin.begin() as connection:  # an unreachable server fails here
            connection.execute(text(f"CREATE SCHEMA {self.schema}"))
        self.url = make_url(base).update_query_dict({"options": f"-csearch_path={self.schema}"}).render_as_string(False)

    def tearDown(self) -> None:
        super().tearDown()
        with self.admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {self.schema} CASCADE"))
        self.admin.dispose()
