"""API keys of the HTTP API: random bearer tokens of which the ledger keeps only a hash, a display prefix and scopes.

The table is created by the first ``create_api_key``, never by a read: a ledger
without keys simply authenticates nobody.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from weakref import WeakSet

from sqlalchemy import Column, DateTime, Engine, Integer, MetaData, Row, String, Table, inspect, or_, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from commands.errors import ExitCode, LedgerError
from ledger.errors import DatabaseUnavailableError
from ledger.storage.store import EventStore

SCOPES = ("append", "read", "pii", "audit", "admin")
PREFIX_LENGTH = 8
# Recording every use would make every request a write; a minute is precise enough to spot an unused key.
LAST_USE_RESOLUTION = timedelta(minutes=1)

metadata = MetaData()
api_keys_table = Table(
    "ledger_api_keys",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("prefix", String(PREFIX_LENGTH), nullable=False, index=True),
    Column("token_sha256", String(64), nullable=False, unique=True),
    Column("scopes", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_used_at", DateTime(timezone=True)),
    Column("revoked_at", DateTime(timezone=True)),
)
_engines_with_table: WeakSet[Engine] = WeakSet()


class ApiKeyError(LedgerError):
    """An API key cannot be created or found as asked."""

    exit_code = ExitCode.USAGE_ERROR


@dataclass(frozen=True, slots=True)
class ApiKey:
    """What the ledger knows of a key: never the token itself."""

    name: str
    prefix: str
    scopes: tuple[str, ...]
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        """Whether requests may still use this key."""
        return self.revoked_at is None


@dataclass(frozen=True, slots=True)
class NewApiKey:
    """A key just created, with its token: shown once, never stored."""

    key: ApiKey
    token: str


def token_digest(token: str) -> str:
    """Return the SHA-256 hex digest under which a token is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


def parse_scopes(scopes: str | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Return scopes in canonical order, or raise ApiKeyError naming an unknown one."""
    wanted = {s.strip() for s in (scopes.split(",") if isinstance(scopes, str) else scopes) if s.strip()}
    unknown = sorted(wanted - set(SCOPES))
    if unknown:
        raise ApiKeyError(f"unknown scope {', '.join(unknown)} (known: {', '.join(SCOPES)})")
    if not wanted:
        raise ApiKeyError(f"a key needs at least one scope ({', '.join(SCOPES)})")
    return tuple(s for s in SCOPES if s in wanted)


def create_api_key(store: EventStore, name: str, scopes: str | list[str] | tuple[str, ...]) -> NewApiKey:
    """Create a key with a 256-bit random token; fail if the name is taken (revoked keys keep theirs)."""
    name = name.strip()
    if not name or len(name) > 200:
        raise ApiKeyError("a key's name is 1 to 200 characters")
    chosen = parse_scopes(scopes)
    token = secrets.token_urlsafe(32)
    key = ApiKey(name, token[:PREFIX_LENGTH], chosen, datetime.now(UTC), None, None)
    try:
        store.ensure_tables([api_keys_table])
        with store.engine.begin() as connection:
            connection.execute(
                api_keys_table.insert().values(
                    name=key.name,
                    prefix=key.prefix,
                    token_sha256=token_digest(token),
                    scopes=",".join(chosen),
                    created_at=key.created_at,
                )
            )
    except IntegrityError:
        raise ApiKeyError(f"an API key named {name!r} exists already") from None
    except SQLAlchemyError as error:
        raise DatabaseUnavailableError(f"cannot store the API key: {type(error).__name__}") from None
    return NewApiKey(key, token)


def list_api_keys(store: EventStore) -> list[ApiKey]:
    """Return every key, revoked ones included, by name."""
    if not _has_table(store):
        return []
    with store.engine.connect() as connection:
        rows = connection.execute(select(api_keys_table).order_by(api_keys_table.c.name)).all()
    return [_key(row) for row in rows]


def revoke_api_key(store: EventStore, name_or_prefix: str) -> ApiKey:
    """Revoke the one active key with this name or display prefix."""
    columns = api_keys_table.c
    found = [key for key in list_api_keys(store) if key.active and name_or_prefix in (key.name, key.prefix)]
    if not found:
        raise ApiKeyError(f"no active API key is named or starts with {name_or_prefix!r}")
    if len(found) > 1:
        raise ApiKeyError(f"{name_or_prefix!r} matches {len(found)} keys: revoke by name")
    now = datetime.now(UTC)
    with store.engine.begin() as connection:
        connection.execute(
            update(api_keys_table).where(columns.name == found[0].name, columns.revoked_at.is_(None)).values(revoked_at=now)
        )
    key = found[0]
    return ApiKey(key.name, key.prefix, key.scopes, key.created_at, key.last_used_at, now)


def authenticate(store: EventStore, token: str) -> ApiKey | None:
    """Return the active key of a token (recording its use), or None for an unknown or revoked one."""
    if not _has_table(store):
        return None
    digest = token_digest(token)
    columns = api_keys_table.c
    try:
        with store.engine.connect() as connection:
            row = connection.execute(select(api_keys_table).where(columns.token_sha256 == digest)).first()
        # The lookup is by hash, so timing says nothing of the token; compare the digests in constant time anyway.
        if row is None or not hmac.compare_digest(row.token_sha256, digest) or row.revoked_at is not None:
            return None
        key = _key(row)
        now = datetime.now(UTC)
        if key.last_used_at is None or now - key.last_used_at >= LAST_USE_RESOLUTION:
            with store.engine.begin() as connection:
                connection.execute(
                    update(api_keys_table)
                    .where(columns.id == row.id, or_(columns.last_used_at.is_(None), columns.last_used_at < now))
                    .values(last_used_at=now)
                )
    except SQLAlchemyError as error:
        raise DatabaseUnavailableError(f"cannot check the API key: {type(error).__name__}") from None
    return key


def _has_table(store: EventStore) -> bool:
    if store.engine in _engines_with_table:
        return True
    try:
        found = inspect(store.engine).has_table(api_keys_table.name)
    except SQLAlchemyError as error:
        raise DatabaseUnavailableError(f"cannot read the API keys: {type(error).__name__}") from None
    if found:  # tables are never dropped: one look per engine is enough
        _engines_with_table.add(store.engine)
    return found


def _key(row: Row[Any]) -> ApiKey:
    return ApiKey(
        name=row.name,
        prefix=row.prefix,
        scopes=tuple(row.scopes.split(",")),
        created_at=_utc(row.created_at),
        last_used_at=None if row.last_used_at is None else _utc(row.last_used_at),
        revoked_at=None if row.revoked_at is None else _utc(row.revoked_at),
    )


def _utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes for what was stored in UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
