"""Keys, scopes, the rate limit and problem documents through the ASGI test client."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from http_api.problems import PROBLEM_JSON, TYPE_BASE
from http_api.settings import ApiSettings
from ledger import DatabaseUnavailableError, Ledger
from ledger.config import LedgerConfig
from tests.http.support import Keys, bearer, client_for, purchase


def test_requests_without_a_valid_key_are_401(client: TestClient, keys: Keys) -> None:
    for headers in ({}, {"Authorization": "Bearer not-a-key"}, {"Authorization": "Basic c2hvcDpzaG9w"}):
        response = client.get("/v1/log", headers=headers)
        assert response.status_code == 401
        assert response.headers["content-type"] == PROBLEM_JSON
        assert response.headers["www-authenticate"].startswith("Bearer")


def test_a_revoked_key_is_refused_at_once(db_url: str, client: TestClient, keys: Keys) -> None:
    assert client.get("/v1/log", headers=keys.reader).status_code == 200
    with Ledger(db_url, config=LedgerConfig()) as ledger:
        ledger.revoke_api_key("dashboard")
    assert client.get("/v1/log", headers=keys.reader).status_code == 401


@pytest.mark.parametrize(
    ("role", "method", "path"),
    [
        ("reader", "post", "/v1/events"),
        ("writer", "get", "/v1/digest"),
        ("auditor", "get", "/v1/projections"),
        ("admin", "get", "/v1/log"),
        ("writer", "post", "/v1/verify"),
    ],
)
def test_a_key_without_the_scope_is_403(client: TestClient, keys: Keys, role: str, method: str, path: str) -> None:
    response = client.request(method, path, json=purchase(), headers=getattr(keys, role))
    assert response.status_code == 403
    assert response.json()["type"] == TYPE_BASE + "forbidden"


def test_over_the_rate_a_key_gets_429_with_retry_after(db_url: str, keys: Keys) -> None:
    with client_for(db_url, ApiSettings(rate_limit=0.5, rate_burst=2)) as client:
        answers = [client.get("/v1/log", headers=keys.reader) for _ in range(3)]
        assert [a.status_code for a in answers] == [200, 200, 429]
        assert answers[2].headers["retry-after"] == "2"
        assert client.get("/v1/log", headers=keys.pii).status_code == 200  # another key has its own bucket


def test_an_unexpected_error_is_a_500_problem_without_a_trace(client: TestClient, keys: Keys, monkeypatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret internals at /srv/app.py line 3")

    monkeypatch.setattr(Ledger, "profile", broken)
    response = client.get("/v1/customers/C-1/profile", headers=keys.reader)
    assert response.status_code == 500 and response.headers["content-type"] == PROBLEM_JSON
    assert "secret" not in response.text and "Traceback" not in response.text


def test_an_unavailable_database_is_503_without_its_words(client: TestClient, keys: Keys, monkeypatch) -> None:
    def down(*args: object, **kwargs: object) -> None:
        raise DatabaseUnavailableError("cannot open database postgresql://admin@10.0.0.1/prod")

    monkeypatch.setattr(Ledger, "customers", down)
    response = client.get("/v1/customers", headers=keys.reader)
    assert response.status_code == 503
    assert response.json()["type"] == TYPE_BASE + "database-unavailable"
    assert "10.0.0.1" not in response.text


def test_unknown_routes_are_problems_too(client: TestClient) -> None:
    response = client.get("/v2/nothing")
    assert response.status_code == 404 and response.headers["content-type"] == PROBLEM_JSON
    assert response.json()["type"] == "about:blank"


def test_no_key_reaches_the_log_lines(client: TestClient, keys: Keys, caplog) -> None:
    token = keys.writer["Authorization"].removeprefix("Bearer ")
    with caplog.at_level("DEBUG"):
        client.post("/v1/events", json=purchase(), headers=keys.writer)
        client.get("/v1/log", headers=bearer(token + "x"))
    assert token not in caplog.text
