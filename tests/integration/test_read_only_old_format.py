"""A ledger made before encryption and privacy (no key table, no content-hash column), opened read-only, answers queries."""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from ledger import Ledger
from ledger.config import LedgerConfig
from tests.conftest import POSTGRES_ENV
from tests.integration.test_read_only import _as_reader

OLD_FORMAT = ["DROP TABLE ledger_data_keys", "ALTER TABLE ledger_event_ids DROP COLUMN content_hash"]


def _populate_old_format(url: str) -> None:
    with Ledger(url, config=LedgerConfig()) as ledger:
        ledger.append("customer_registered", "C-1", {"email": "ana@example.com", "segment": "retail"}, occurred_at="2024-01-01")
        ledger.append("purchase", "C-1", {"order_id": "O-1", "amount": "100.00"}, occurred_at="2024-01-10")
        ledger.append("purchase", "C-2", {"order_id": "O-2", "amount": "20.00"}, occurred_at="2024-01-11")
        engine = ledger.store.engine
        with engine.begin() as connection:
            for statement in OLD_FORMAT:
                connection.execute(text(statement))


def _queries_answer(url: str) -> None:
    with Ledger(url, config=LedgerConfig()) as ledger:
        assert ledger.timeline("C-1", personal=True)[0].data.email == "ana@example.com"
        assert ledger.timeline("C-1")[0].data.email == "a***@example.com"
        assert ledger.profile("C-1").spend == {"EUR": "100.00"}
        assert [row.customer for row in ledger.customers()] == ["C-1", "C-2"]
        assert sorted(row.customer for row in ledger.export_rfm(as_of="2024-12-31")) == ["C-1", "C-2"]
        assert [entry.state for entry in ledger.consent("C-1").purposes] == ["none"] * 4
        assert len(ledger.log()) == 3


def test_an_old_read_only_sqlite_ledger_answers(monkeypatch):
    monkeypatch.delenv("LEDGER_MASTER_KEY", raising=False)
    folder = Path(tempfile.mkdtemp(prefix="ledger-old-format-"))
    try:
        path = folder / "ledger.db"
        _populate_old_format(f"sqlite:///{path}")
        path.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
        folder.chmod(0o777)
        with _as_reader():
            _queries_answer(f"sqlite:///file:{path}?mode=ro&uri=true")
    finally:
        shutil.rmtree(folder)


@pytest.mark.postgres
def test_an_old_ledger_answers_a_select_only_role(monkeypatch):
    monkeypatch.delenv("LEDGER_MASTER_KEY", raising=False)
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(f"PostgreSQL tests need {POSTGRES_ENV}")
    schema, role = f"t_{uuid.uuid4().hex[:12]}", f"reader_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    owner_url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        _populate_old_format(owner_url.render_as_string(hide_password=False))
        with admin.begin() as connection:
            connection.execute(text(f"CREATE ROLE {role} LOGIN"))
            connection.execute(text(f"GRANT USAGE ON SCHEMA {schema} TO {role}"))
            connection.execute(text(f"GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO {role}"))
        _queries_answer(owner_url.set(username=role, password=None).render_as_string(hide_password=False))
    finally:
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
            connection.execute(text(f"DROP ROLE IF EXISTS {role}"))
        admin.dispose()
