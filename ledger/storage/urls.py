"""Database URLs as people give them: a plain path is a SQLite file, ``postgresql://`` selects psycopg (3)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from commands.errors import ConfigurationError

# SQLAlchemy reads a bare postgresql:// as psycopg2, which the ledger does not use.
POSTGRES_SCHEMES = {"postgresql": "postgresql+psycopg", "postgres": "postgresql+psycopg", "postgresql+psycopg": None}
SQLITE_SCHEMES = {"sqlite": None, "sqlite+pysqlite": None}


def database_url(text: str) -> str:
    """Return the URL the ledger opens for what was given; raise ConfigurationError (naming it, no password) if unusable."""
    if "://" not in text:
        return f"sqlite:///{text}"
    try:
        url = make_url(text)
    except ArgumentError:
        raise ConfigurationError(f"not a database URL: {redact(text)}") from None
    if url.drivername in POSTGRES_SCHEMES:
        if not url.database:
            raise ConfigurationError(f"database URL names no database: {redact(text)}")
        driver = POSTGRES_SCHEMES[url.drivername]
        return text if driver is None else url.set(drivername=driver).render_as_string(hide_password=False)
    if url.drivername in SQLITE_SCHEMES:
        return text
    raise ConfigurationError(
        f"unsupported database URL {redact(text)}: use sqlite:///FILE, a plain file path or postgresql://HOST/DATABASE"
    )


def missing_sqlite_file(url: str) -> bool:
    """Whether a SQLite URL names a file that does not exist (opening it would create an empty one)."""
    parsed = make_url(url)
    database = parsed.database
    if not parsed.drivername.startswith("sqlite") or database in (None, "", ":memory:") or "mode=memory" in url:
        return False
    return not Path(database.removeprefix("file:")).exists()


def redact(url: str | URL) -> str:
    """Hide a password in a database URL before printing it."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<invalid URL>"
