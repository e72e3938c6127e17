"""Queries never write: on a read-only SQLite file and as a PostgreSQL role that may only SELECT, every query,
``verify`` and ``projections status`` answer, through the Python API and the CLI; ``digest`` fails in one line.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from cli import main
from ledger.application import Ledger
from ledger.config import LedgerConfig
from tests.conftest import POSTGRES_ENV

NOBODY = 65534
PROJECTIONS = ["profiles", "complaints", "satisfaction"]


def _populate(url: str, built: bool) -> int:
    """Append a small history; with built, project it and append one event more (the read models are then behind by one)."""
    with Ledger(url, config=LedgerConfig()) as ledger:
        ledger.append("customer_registered", "C-1", {"segment": "retail"}, occurred_at="2024-01-01", event_id="r1")
        ledger.append("purchase", "C-1", {"order_id": "O-1", "amount": "100.00"}, occurred_at="2024-01-10", event_id="p1")
        ledger.append(
            "survey_answered", "C-1", {"survey_id": "s", "kind": "nps", "score": 9}, occurred_at="2024-01-11", event_id="s1"
        )
        ledger.append("complaint_filed", "C-2", {"complaint_id": "K", "severity": "low"}, occurred_at="2024-01-12T08:00:00Z")
        if built:
            ledger.rebuild(progress=False)
        ledger.append("purchase", "C-1", {"order_id": "O-2", "amount": "50.00"}, occurred_at="2024-02-10", event_id="p2")
        return ledger.store.max_position()


@contextmanager
def _as_reader() -> Iterator[None]:
    """Read as a user other than the file's owner: root ignores file permissions, so tests run as root switch to nobody."""
    if os.geteuid() != 0:
        yield
        return
    os.seteuid(NOBODY)
    try:
        yield
    finally:
        os.seteuid(0)


@contextmanager
def _read_only_sqlite(built: bool) -> Iterator[tuple[str, int]]:
    # Not under pytest's tmp_path: its parent is private to root, and the reader is nobody.
    folder = Path(tempfile.mkdtemp(prefix="ledger-read-only-"))
    try:
        path = folder / "ledger.db"
        head = _populate(f"sqlite:///{path}", built)
        # The last connection closed checkpointed the WAL and removed its files; the database is made read-only.
        # The folder stays writable: SQLite reads a WAL database through a -shm index it creates there.
        assert not [p.name for p in folder.iterdir() if p.name.endswith(("-wal", "-shm"))]
        path.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
        folder.chmod(0o777)
        with _as_reader():
            yield f"sqlite:///file:{path}?mode=ro&uri=true", head
    finally:
        shutil.rmtree(folder)


@contextmanager
def _select_only_role(built: bool) -> Iterator[tuple[str, int]]:
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(f"PostgreSQL tests need {POSTGRES_ENV}")
    schema, role = f"t_{uuid.uuid4().hex[:12]}", f"reader_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    owner_url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        head = _populate(owner_url.render_as_string(hide_password=False), built)
        with admin.begin() as connection:
            connection.execute(text(f"CREATE ROLE {role} LOGIN"))
            connection.execute(text(f"GRANT USAGE ON SCHEMA {schema} TO {role}"))
            connection.execute(text(f"GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO {role}"))
        yield owner_url.set(username=role, password=None).render_as_string(hide_password=False), head
    finally:
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))  # and the role's privileges on it
            connection.execute(text(f"DROP ROLE IF EXISTS {role}"))
        admin.dispose()


@pytest.fixture(
    params=[
        pytest.param(("sqlite", True), id="sqlite-built"),
        pytest.param(("sqlite", False), id="sqlite-never-built"),
        pytest.param(("postgres", True), id="postgres-built", marks=pytest.mark.postgres),
        pytest.param(("postgres", False), id="postgres-never-built", marks=pytest.mark.postgres),
    ]
)
def read_only(request) -> Iterator[tuple[str, int, bool]]:
    """Return the URL of a populated database that cannot be written, its log's head and whether it was projected."""
    backend, built = request.param
    opened = _read_only_sqlite(built) if backend == "sqlite" else _select_only_role(built)
    with opened as (url, head):
        yield url, head, built


def test_every_query_answers_through_the_api_and_writes_nothing(read_only):
    url, head, built = read_only
    behind = 1 if built else head  # never built: replayed from the log, which the read models all lack
    with Ledger(url, config=LedgerConfig()) as ledger:
        assert [e.event_id for e in ledger.timeline("C-1")][-1] == "p2"
        assert len(ledger.log()) == head
        found = ledger.profile("C-1")
        assert (found.purchases, found.spend, found.behind) == (2, {"EUR": "150.00"}, behind)
        assert ledger.profile("C-1", as_of="2024-01-31").spend == {"EUR": "100.00"}
        listed = ledger.customers()
        assert ([row.customer for row in listed], listed.behind) == (["C-1", "C-2"], behind)
        # From the read models as they stand: the purchase after the rebuild is not among them.
        assert [row.purchase_days for row in listed] == ([1, 0] if built else [2, 0])
        trends = ledger.trends()
        # February has a purchase and no answer: its buyer row is there once the profiles know of it.
        february = [] if built else [("2024-02", None)]
        assert ([(row.period, row.nps) for row in trends], trends.behind) == ([("2024-01", 100.0), *february], behind)
        complaints = ledger.complaints()
        assert ([(c.complaint_id, c.state) for c in complaints], complaints.behind) == ([("K", "open")], behind)
        assert [row.customer for row in ledger.export_rfm(as_of="2024-12-31")] == ["C-1"]
        exported = b"".join(ledger.export_events()).splitlines()
        assert len(exported) == head + 1  # and the export's own digest line
        assert ledger.verify().events == head
        status = ledger.projections_status()
        assert [(s.name, s.behind) for s in status] == [(name, 1 if built else head) for name in PROJECTIONS]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["timeline", "C-1", "--json"], '"event_id":"p2"'),
        (["log", "--json"], '"event_id":"p2"'),
        (["profile", "C-1", "--json"], '"spend":{"EUR":"150.00"}'),
        (["customers", "--json"], '"customer":"C-2"'),
        (["trends", "--json"], '"period":"2024-01"'),
        (["complaints", "--json"], '"complaint_id":"K"'),
        (["export", "rfm", "--as-of", "2024-12-31"], "C-1,"),
        (["export", "events"], '"event_id":"p2"'),
        (["verify"], "ok: "),
        (["projections", "status", "--json"], '"name":"satisfaction"'),
    ],
    ids=lambda value: " ".join(value) if isinstance(value, list) else None,
)
def test_every_query_command_answers_with_exit_0(read_only, args, expected):
    url, _, _ = read_only
    result = CliRunner().invoke(main, ["--db", url, *args])
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    assert expected.replace(" ", "") in result.stdout.replace(" ", ""), result.stdout


def test_digest_fails_in_one_clear_line(read_only):
    url, _, _ = read_only
    result = CliRunner().invoke(main, ["--db", url, "digest"])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), (result.stdout, result.stderr, result.exception)
    assert result.stdout == ""
