"""Digests: the log's rolling root hash at a position, extended from the last checkpoint."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.exc import IntegrityError

from commands.errors import LedgerError
from commands.timeutil import format_utc
from ledger.audit.chain import DIGEST_FORMAT, GENESIS_ROOT, checkpoints, checkpoints_table, next_root, raw_rows
from ledger.audit.verify import Digest
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


def take_digest(store: EventStore) -> DigestDocument:
    """Compute the root over the whole log, reading only the events after the last checkpoint, and store a checkpoint."""
    known = checkpoints(store)
    position, root = (known[-1][0], known[-1][1]) if known else (0, GENESIS_ROOT)
    for row_id, _stream, _version, _topic, raw_state in raw_rows(store, after=position):
        position = row_id
        root = next_root(root, row_id, orjson.loads(bytes(raw_state))["hash"])
    now = datetime.now(UTC)
    if not known or known[-1][0] != position:
        try:
            with store.engine.begin() as connection:
                connection.execute(checkpoints_table.insert().values(position=position, root=root, created_at=now))
        except IntegrityError:
            pass  # a concurrent digest stored the same checkpoint first; verify checks it against the log
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
