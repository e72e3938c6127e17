"""Digests: the log's rolling root hash at a position, extended from the last checkpoint."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.exc import DBAPIError, IntegrityError

from commands.errors import LedgerError
from commands.records import stored_hash
from commands.timeutil import format_utc
from ledger.audit.chain import (
    DIGEST_FORMAT,
    GENESIS_ROOT,
    checkpoints,
    checkpoints_table,
    ensure_checkpoints_table,
    next_root,
)
from ledger.audit.verify import Digest
from ledger.errors import DatabaseUnavailableError
from ledger.storage.log_reader import raw_pages
from ledger.storage.recorder import first_line
from ledger.storage.store import EventStore


class DigestDocument(BaseModel):
    """The JSON document auditors keep outside the database."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    format: Literal["ledger-digest/1"]
    position: int = Field(ge=0)
    count: int = Field(ge=0)
    root: str = Field(pattern=r"^[0-9a-f]{64}$")
    created_at: str


class InvalidDigestError(LedgerError):
    """A digest file that is not one of ours (exit 1: bad input data)."""


def compute_digest(store: EventStore) -> DigestDocument:
    """Compute the root over the whole log, reading only the events after the last checkpoint; store nothing."""
    return _digest(store, checkpoints(store), datetime.now(UTC))


def take_digest(store: EventStore) -> DigestDocument:
    """Compute the digest of the whole log and store it as a checkpoint (the one use case that stores one)."""
    known, now = checkpoints(store), datetime.now(UTC)
    document = _digest(store, known, now)
    if not known or known[-1][0] != document.position:
        try:
            ensure_checkpoints_table(store)
            with store.engine.begin() as connection:
                values = {"position": document.position, "root": document.root, "created_at": now}
                connection.execute(checkpoints_table.insert().values(**values))
        except IntegrityError:
            pass  # a concurrent digest stored the same checkpoint first; verify checks it against the log
        except DBAPIError as error:  # a read-only database or role, say
            raise DatabaseUnavailableError(f"cannot store the digest's checkpoint: {first_line(error)}") from None
    return document


def _digest(store: EventStore, known: list[tuple[int, str, datetime]], now: datetime) -> DigestDocument:
    """Extend the root from the last of the known checkpoints over the events after it."""
    position, root = (known[-1][0], known[-1][1]) if known else (0, GENESIS_ROOT)
    with store.scan_connection() as connection:
        for page in raw_pages(store, connection, after=position):
            for row_id, _stream, _version, _topic, raw_state in page:
                root = next_root(root, row_id, stored_hash(bytes(raw_state)))
            position = page[-1][0]
    return DigestDocument(format=DIGEST_FORMAT, position=position, count=position, root=root, created_at=format_utc(now))


def read_digest(text: str, name: str) -> Digest:
    """Parse a digest document, or raise InvalidDigestError naming what is wrong."""
    try:
        document = DigestDocument.model_validate(json.loads(text))
    except json.JSONDecodeError:
        raise InvalidDigestError(f"{name}: not a ledger digest (not JSON)") from None
    except ValidationError as error:
        problems = "; ".join(".".join(map(str, e["loc"])) + ": " + e["msg"] for e in error.errors(include_url=False))
        raise InvalidDigestError(f"{name}: not a ledger digest ({problems})") from None
    return Digest(position=document.position, root=document.root)


def digest_json(document: DigestDocument) -> str:
    """Return the digest as one line of JSON."""
    payload: dict[str, Any] = document.model_dump()
    return json.dumps(payload)
