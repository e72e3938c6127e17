"""What one scenario run gets: the data files, a private folder, and fresh databases on demand."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from itertools import islice
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import orjson

from bench.sizes import Size

Backend = Literal["sqlite", "postgres"]


@dataclass(frozen=True, slots=True)
class RunContext:
    """Everything a scenario needs, passed to its subprocess as JSON."""

    size: Size
    backend: Backend
    workdir: str
    events_file: str
    events: int
    growth_file: str | None = None
    growth_events: int = 0
    # SQLAlchemy URL of a database holding events_file, imported once per run of the suite.
    populated_url: str | None = None
    # A copy of it with a customer of 1,000 events added and every read model built.
    projected_url: str | None = None
    postgres_url: str | None = None

    def to_json(self) -> str:
        """Serialise for the scenario's subprocess."""
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> RunContext:
        """Read what to_json wrote."""
        fields: dict[str, Any] = json.loads(text)
        return cls(**{**fields, "size": Size(**fields["size"])})

    def count(self, *, sqlite: int, postgres: int) -> int:
        """Return how many events this run's backend gets: PostgreSQL runs get fewer where it is much slower."""
        return postgres if self.backend == "postgres" else sqlite

    @contextmanager
    def fresh_database(self) -> Iterator[str]:
        """Yield the SQLAlchemy URL of an empty database of this run's backend (a new PostgreSQL schema, dropped after)."""
        if self.backend == "sqlite":
            yield f"sqlite:///{Path(self.workdir) / f'{uuid.uuid4().hex[:8]}.db'}"
            return
        if self.postgres_url is None:
            raise RuntimeError("a PostgreSQL scenario ran without LEDGER_TEST_POSTGRES_URL")
        with postgres_schema(self.postgres_url) as url:
            yield url


def iter_events(path: str, limit: int | None = None) -> Iterator[dict[str, Any]]:
    """Yield the first limit events of a JSON Lines file (all without a limit)."""
    with open(path, "rb") as file:
        for line in islice(file, limit):
            yield orjson.loads(line)


def read_events(path: str, limit: int | None = None) -> list[dict[str, Any]]:
    """Return the first limit events of a JSON Lines file (all without a limit)."""
    return list(iter_events(path, limit))


def libpq_url(url: str) -> str:
    """Turn a SQLAlchemy PostgreSQL URL into one psycopg accepts."""
    return re.sub(r"^postgresql\+\w+://", "postgresql://", url)


@contextmanager
def postgres_schema(base_url: str) -> Iterator[str]:
    """Create a schema of our own, yield base_url with it as the search path, and drop it afterwards."""
    import psycopg  # only PostgreSQL runs need the driver

    schema = f"bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(libpq_url(base_url), autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
        try:
            parts = urlsplit(base_url)
            query = [*parse_qsl(parts.query), ("options", f"-csearch_path={schema}")]
            yield urlunsplit(parts._replace(query=urlencode(query)))
        finally:
            admin.execute(f"DROP SCHEMA {schema} CASCADE")
