"""End to end: ``ledger serve`` as a real process with two workers, over HTTP, stopped by SIGTERM mid-traffic."""

from __future__ import annotations

import contextlib
import signal
import threading
import time

import httpx

from ledger import Ledger
from ledger.config import LedgerConfig
from tests.http.support import bearer, purchase, running_server

CLIENTS = 4


def test_sigterm_during_requests_loses_no_acknowledged_event(db_url: str) -> None:
    with Ledger(db_url, config=LedgerConfig()) as ledger:
        headers = bearer(ledger.create_api_key("shop", "append,read").token)
    acknowledged: list[str] = []
    errors: list[str] = []
    with running_server(db_url, workers=2) as (process, base):
        assert httpx.get(f"{base}/healthz").json()["status"] == "ok"
        first = httpx.post(f"{base}/v1/events", json=purchase(event_id="first"), headers=headers)
        assert first.status_code == 200 and first.json()["results"][0]["status"] == "stored"
        stop = threading.Event()

        def post_until_refused(client_id: int) -> None:
            with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
                for n in range(10_000):
                    if stop.is_set():
                        return
                    event_id = f"c{client_id}-{n}"
                    try:
                        response = client.post("/v1/events", json=purchase(order=event_id, event_id=event_id))
                    except httpx.TransportError:
                        return  # the server stopped listening: nothing more is acknowledged
                    if response.status_code != 200:
                        errors.append(f"{response.status_code} {response.text}")
                        return
                    acknowledged.append(event_id)

        def long_poll() -> None:
            with contextlib.suppress(httpx.TransportError):
                httpx.get(f"{base}/v1/log", params={"after": 10**9, "wait": 30}, headers=headers, timeout=40)

        threads = [threading.Thread(target=post_until_refused, args=(i,)) for i in range(CLIENTS)]
        threads.append(threading.Thread(target=long_poll))
        for thread in threads:
            thread.start()
        while len(acknowledged) < 100 and not errors:
            time.sleep(0.05)
        signalled = time.monotonic()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=25) == 0
        stopped_in = time.monotonic() - signalled
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
    assert errors == []
    assert stopped_in < 15, "a waiting long-poll held the shutdown up"
    with Ledger(db_url, config=LedgerConfig()) as ledger:
        stored = [event.event_id for event in ledger.log(limit=100_000)]
    assert set(acknowledged) <= set(stored)
    assert len(stored) == len(set(stored))
