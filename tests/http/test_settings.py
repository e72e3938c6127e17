"""The API's settings: the [http] table of the configuration file, LEDGER_HTTP_* variables over it, options over both."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main
from http_api import server
from http_api.settings import ENV_PREFIX, ApiSettings
from ledger import ConfigurationError
from ledger.config import LedgerConfig, load_config


def test_the_http_table_then_the_environment_then_the_options(tmp_path: Path) -> None:
    file = tmp_path / "ledger.toml"
    file.write_text("[http]\nport = 9000\nworkers = 3\nbatch_limit = 50\nrate_limit = 20\nready_max_lag = 7\n", encoding="utf-8")
    http = load_config(file, environ={}).http
    assert (http.host, http.port, http.workers) == ("127.0.0.1", 9000, 3)
    from_file = ApiSettings.from_config(http)
    assert (from_file.batch_limit, from_file.rate_limit, from_file.ready_max_lag, from_file.burst) == (50, 20.0, 7, 20)
    environ = {"LEDGER_HTTP_RATE_LIMIT": "5", "LEDGER_HTTP_RATE_BURST": "9"}
    chosen = ApiSettings.from_environ(environ, base=from_file).with_overrides(batch_limit=10, rate_limit=None)
    assert (chosen.batch_limit, chosen.rate_limit, chosen.burst, chosen.ready_max_lag) == (10, 5.0, 9, 7)
    assert ApiSettings.from_environ(chosen.to_environ()) == chosen  # what serve hands its workers


def test_defaults_are_the_tables_and_bad_values_are_named(tmp_path: Path) -> None:
    assert ApiSettings.from_config(LedgerConfig().http) == ApiSettings()
    file = tmp_path / "ledger.toml"
    file.write_text("[http]\nworkers = 0\n", encoding="utf-8")
    with pytest.raises(ConfigurationError, match=r"http\.workers"):
        load_config(file, environ={})
    file.write_text("[http]\nrate = 5\n", encoding="utf-8")
    with pytest.raises(ConfigurationError, match=r"http\.rate"):
        load_config(file, environ={})
    with pytest.raises(ConfigurationError, match="LEDGER_HTTP_BATCH_LIMIT"):
        ApiSettings.from_environ({"LEDGER_HTTP_BATCH_LIMIT": "many"})


def test_serve_takes_the_http_table_under_its_options(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "ledger.toml"
    config.write_text('[http]\nhost = "0.0.0.0"\nport = 9000\nworkers = 3\nrate_limit = 20\n', encoding="utf-8")
    started: list[dict[str, object]] = []
    monkeypatch.setattr(server, "serve", lambda **arguments: started.append(arguments))
    for variable in [name for name in os.environ if name.startswith(ENV_PREFIX)]:
        monkeypatch.delenv(variable)
    db = f"sqlite:///{tmp_path / 'ledger.db'}"
    result = CliRunner().invoke(main, ["--db", db, "--config", str(config), "serve", "--port", "9100", "--rate-burst", "4"])
    assert result.exit_code == 0, result.output
    (arguments,) = started
    assert (arguments["host"], arguments["port"], arguments["workers"]) == ("0.0.0.0", 9100, 3)
    settings = arguments["settings"]
    assert isinstance(settings, ApiSettings) and (settings.rate_limit, settings.burst) == (20.0, 4)
