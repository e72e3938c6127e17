"""Load: 8 concurrent clients each post 1,000 events in batches of 1 to 100 to a server with 2 workers."""

from __future__ import annotations

import random
import threading
import time

import httpx
import pytest

from ledger import Ledger
from ledger.config import LedgerConfig
from tests.http.support import bearer, purchase, running_server

CLIENTS = 8
EVENTS_PER_CLIENT = 1000


@pytest.mark.slow
def test_concurrent_batches_lose_and_duplicate_nothing(db_url: str) -> None:
    with Ledger(db_url, config=LedgerConfig()) as ledger:
        headers = bearer(ledger.create_api_key("loader", "append").token)
    failures: list[str] = []

    def post_all(client_id: int) -> None:
        chooser = random.Random(client_id)
        events = [
            purchase(f"C-{client_id}-{n % 50}", order=f"{client_id}-{n}", event_id=f"{client_id}-{n}")
            for n in range(EVENTS_PER_CLIENT)
        ]
        with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
            while events:
                size = chooser.randint(1, 100)
                batch, events[:size] = events[:size], []
                response = client.post("/v1/events", json={"events": batch})
                if response.status_code != 200 or response.json()["stored"] != len(batch):
                    failures.append(f"{response.status_code} {response.text[:300]}")
                    return

    with running_server(db_url, workers=2) as (_process, base):
        started = time.monotonic()
        threads = [threading.Thread(target=post_all, args=(i,)) for i in range(CLIENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
    assert failures == []
    with Ledger(db_url, config=LedgerConfig()) as ledger:
        log = ledger.log(limit=100_000)
    ids = [event.event_id for event in log]
    assert len(ids) == CLIENTS * EVENTS_PER_CLIENT, "events were lost"
    assert len(set(ids)) == len(ids), "events were stored twice"
    assert [event.position for event in log] == list(range(1, len(log) + 1)), "the log has gaps"
    print(f"{len(ids)} events in {elapsed:.1f} s ({len(ids) / elapsed:.0f}/s)")
