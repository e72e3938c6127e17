"""API keys: the Ledger's use cases and the ``api-keys`` commands (invoked on their own group)."""

from __future__ import annotations

import hashlib
import json

import pytest
from click.testing import CliRunner
from sqlalchemy import inspect, select

from cli import main
from ledger import Ledger
from ledger.api_keys import ApiKeyError, api_keys_table
from ledger.config import LedgerConfig


def test_a_key_is_stored_only_as_its_hash_prefix_and_scopes(ledger: Ledger) -> None:
    created = ledger.create_api_key("shop", "read,append")
    assert len(created.token) >= 43 and created.key.prefix == created.token[:8]
    assert created.key.scopes == ("append", "read")
    with ledger.store.engine.connect() as connection:
        (row,) = connection.execute(select(api_keys_table)).all()
    assert row.token_sha256 == hashlib.sha256(created.token.encode()).hexdigest()
    assert created.token not in repr(tuple(row))


def test_authenticate_knows_active_keys_records_use_and_forgets_revoked_ones(ledger: Ledger) -> None:
    created = ledger.create_api_key("shop", ["append"])
    assert ledger.api_keys()[0].last_used_at is None
    key = ledger.authenticate(created.token)
    assert key is not None and key.name == "shop"
    assert ledger.api_keys()[0].last_used_at is not None
    assert ledger.authenticate(created.token + "x") is None
    revoked = ledger.revoke_api_key(created.key.prefix)
    assert revoked.revoked_at is not None
    assert ledger.authenticate(created.token) is None
    with pytest.raises(ApiKeyError):
        ledger.revoke_api_key("shop")


def test_names_are_unique_and_scopes_known(ledger: Ledger) -> None:
    ledger.create_api_key("shop", "read")
    with pytest.raises(ApiKeyError, match="exists"):
        ledger.create_api_key("shop", "read")
    with pytest.raises(ApiKeyError, match="unknown scope"):
        ledger.create_api_key("other", "read,root")
    with pytest.raises(ApiKeyError, match="at least one"):
        ledger.create_api_key("other", "")


def test_reads_never_create_the_table(ledger: Ledger) -> None:
    assert ledger.api_keys() == []
    assert ledger.authenticate("anything") is None
    assert not inspect(ledger.store.engine).has_table(api_keys_table.name)


def test_the_commands_create_list_and_revoke(sqlite_url: str) -> None:
    runner = CliRunner()

    def ledger_cli(*args: str):
        return runner.invoke(main, ["--db", sqlite_url, "api-keys", *args])

    created = ledger_cli("create", "shop", "--scope", "append,read")
    assert created.exit_code == 0, created.output
    token = created.stdout.strip()
    assert "cannot be shown again" in created.stderr
    listed = ledger_cli("list", "--json")
    assert listed.exit_code == 0
    (row,) = [json.loads(line) for line in listed.stdout.splitlines()]
    assert (row["name"], row["prefix"], row["scopes"]) == ("shop", token[:8], ["append", "read"])
    assert token not in listed.output
    revoked = ledger_cli("revoke", token[:8])
    assert revoked.exit_code == 0 and "revoked" in revoked.stderr
    with Ledger(sqlite_url, config=LedgerConfig()) as ledger:
        assert ledger.authenticate(token) is None
    again = ledger_cli("revoke", "shop")
    assert again.exit_code == 2 and "no active API key" in again.stderr
    bad = ledger_cli("create", "x", "--scope", "root")
    assert bad.exit_code == 2
