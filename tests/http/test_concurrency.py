"""Optimistic concurrency under real contention: of writers expecting the same stream version, exactly one stores."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from fastapi.testclient import TestClient

from http_api.problems import TYPE_BASE
from ledger import Ledger
from ledger.config import LedgerConfig
from tests.http.support import Keys, purchase

WRITERS = 4


def test_of_writers_expecting_one_version_exactly_one_wins(client: TestClient, keys: Keys, db_url: str) -> None:
    assert client.post("/v1/events", json=purchase(order="O-0"), headers=keys.writer).status_code == 200
    started = threading.Barrier(WRITERS + 1)

    def post(n: int) -> tuple[int, dict]:
        started.wait()
        if n % 2:
            response = client.post("/v1/events", json=purchase(order=f"O-{n + 1}", expected_version=1), headers=keys.writer)
        else:
            batch = {"events": [purchase(order=f"O-{n + 1}")], "expected_version": 1}
            response = client.post("/v1/events", json=batch, headers={**keys.writer, "If-Match": '"1"'})
        return response.status_code, response.json()

    # Hold the log's write lock as a writer does, so that every request has read the stream at version 1
    # (nothing is written yet) and waits for the lock: only a check under the lock can then refuse the losers.
    with Ledger(db_url, config=LedgerConfig()) as holder, ThreadPoolExecutor(WRITERS) as pool:
        with holder.store.write():
            futures = [pool.submit(post, n) for n in range(WRITERS)]
            started.wait()
            time.sleep(0.5)
        answers = [future.result() for future in futures]
    statuses = sorted(status for status, _ in answers)
    assert statuses == [200] + [409] * (WRITERS - 1), answers
    for status, body in answers:
        if status == 409:
            assert body["type"] == TYPE_BASE + "version-conflict"
            assert body["current_version"] == 2
    events = client.get("/v1/customers/C-1/timeline", headers=keys.reader).json()["events"]
    assert [event["version"] for event in events] == [1, 2]


def test_a_conflict_answers_the_current_version_as_etag(client: TestClient, keys: Keys) -> None:
    client.post("/v1/events", json={"events": [purchase(), purchase(order="O-2")]}, headers=keys.writer)
    stale = client.post("/v1/events", json=purchase(order="O-3"), headers={**keys.writer, "If-Match": '"1"'})
    assert stale.status_code == 409
    assert stale.headers["etag"] == '"2"' and stale.json()["current_version"] == 2
    assert "nothing was stored" in stale.json()["detail"]
