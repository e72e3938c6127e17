"""The rate limit: a token bucket per key, shared through a file by the worker processes of one server."""

from __future__ import annotations

from multiprocessing.context import ForkServerContext
from pathlib import Path

import httpx
import pytest

from http_api.rate_limit import RateLimiter, SharedRateLimiter
from ledger import Ledger
from ledger.config import LedgerConfig
from tests.http.support import bearer, running_server

PROCESSES = 4


@pytest.mark.parametrize("shared", [False, True], ids=["in-memory", "shared"])
def test_the_bucket_refills_at_the_rate(tmp_path: Path, shared: bool) -> None:
    now = [0.0]
    clock = lambda: now[0]  # noqa: E731
    limiter = SharedRateLimiter(tmp_path / "b.sqlite", 2, 1, clock) if shared else RateLimiter(2, 1, clock)
    assert limiter.wait_needed("k") == 0
    assert limiter.wait_needed("k") == pytest.approx(0.5)
    assert limiter.wait_needed("other") == 0
    now[0] = 0.5
    assert limiter.wait_needed("k") == 0


def _take_all(path: str, barrier, granted) -> None:  # type: ignore[no-untyped-def]
    limiter = SharedRateLimiter(path, rate=0.001, burst=10)
    barrier.wait()
    taken = sum(limiter.wait_needed("shop") == 0 for _ in range(10))
    with granted.get_lock():
        granted.value += taken


@pytest.mark.slow  # a few seconds: the processes' start
def test_processes_sharing_the_file_share_one_bucket(tmp_path: Path, worker_processes: ForkServerContext) -> None:
    barrier, granted = worker_processes.Barrier(PROCESSES), worker_processes.Value("i", 0)
    path = str(tmp_path / "buckets.sqlite")
    SharedRateLimiter(path, rate=0.001, burst=10).wait_needed("warm-up")  # the table exists before the race
    workers = [worker_processes.Process(target=_take_all, args=(path, barrier, granted)) for _ in range(PROCESSES)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(30)
    assert [worker.exitcode for worker in workers] == [0] * PROCESSES
    assert granted.value == 10  # per process, each would have had 10


@pytest.mark.slow
def test_a_server_with_two_workers_holds_the_rate_for_both(sqlite_url: str) -> None:
    with Ledger(sqlite_url, config=LedgerConfig()) as ledger:
        headers = bearer(ledger.create_api_key("shop", "read").token)
    with running_server(sqlite_url, workers=2, extra=["--rate-limit", "0.01", "--rate-burst", "5"]) as (_process, base):
        # A new connection per request, so that both workers answer some.
        answers = [httpx.get(f"{base}/v1/log", headers=headers, timeout=10) for _ in range(40)]
    statuses = [answer.status_code for answer in answers]
    assert statuses.count(200) == 5 and statuses.count(429) == 35, statuses
    assert all(int(answer.headers["retry-after"]) >= 1 for answer in answers if answer.status_code == 429)
