"""The per-key rate limit: a token bucket per key name, in this process or shared by the workers of one server.

``serve`` gives every worker the same small SQLite file for the buckets, so that the rate holds for
the server as a whole whatever ``--workers``. It is not the ledger's database on purpose: a write
there per request would queue behind the log's write lock (SQLite) or cost a round trip and a commit
(PostgreSQL) on every request. Several servers each apply the rate on their own.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


class RateLimit(Protocol):
    """Takes a request's token from a key's bucket."""

    def wait_needed(self, key: str) -> float:
        """Take one request's token and return 0, or return the seconds until one is available."""
        ...


def _take(tokens: float, elapsed: float, rate: float, burst: int) -> tuple[float, float]:
    """Refill a bucket for the time elapsed; return its tokens after taking one if it can, and the wait if not."""
    tokens = min(float(burst), tokens + max(0.0, elapsed) * rate)
    if tokens >= 1:
        return tokens - 1, 0.0
    return tokens, (1 - tokens) / rate


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """Buckets in this process's memory (one worker, or an app embedded in a test)."""

    def __init__(self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic):
        self.rate, self.burst, self.clock = rate, burst, clock
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def wait_needed(self, key: str) -> float:
        """Take one request's token and return 0, or return the seconds until one is available."""
        if self.rate <= 0:
            return 0.0
        now = self.clock()
        with self._lock:
            bucket = self._buckets.setdefault(key, _Bucket(float(self.burst), now))
            bucket.tokens, wait = _take(bucket.tokens, now - bucket.updated, self.rate, self.burst)
            bucket.updated = now
            return wait


class SharedRateLimiter:
    """Buckets in a SQLite file that every worker of one server opens; each take is one short write transaction."""

    def __init__(self, path: str | Path, rate: float, burst: int, clock: Callable[[], float] = time.monotonic):
        # CLOCK_MONOTONIC is one clock for every process of the machine, so workers agree on elapsed time.
        self.path, self.rate, self.burst, self.clock = str(path), rate, burst, clock
        self._local = threading.local()

    def _connection(self) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(self.path, timeout=5, isolation_level=None)
            # The buckets need not survive a crash of the machine: the server's next start makes a new file.
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute("PRAGMA synchronous = OFF")
            connection.execute("CREATE TABLE IF NOT EXISTS buckets (key TEXT PRIMARY KEY, tokens REAL, updated REAL)")
            self._local.connection = connection
        return connection

    def wait_needed(self, key: str) -> float:
        """Take one request's token and return 0, or return the seconds until one is available."""
        if self.rate <= 0:
            return 0.0
        connection = self._connection()
        connection.execute("BEGIN IMMEDIATE")
        try:
            now = self.clock()
            row = connection.execute("SELECT tokens, updated FROM buckets WHERE key = ?", (key,)).fetchone()
            tokens, updated = row if row is not None else (float(self.burst), now)
            tokens, wait = _take(tokens, now - updated, self.rate, self.burst)
            connection.execute("INSERT OR REPLACE INTO buckets VALUES (?, ?, ?)", (key, tokens, now))
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        return wait
