"""Events naming their customer by an identifier over HTTP: the same parse path as files and the Python API."""

from __future__ import annotations

from fastapi.testclient import TestClient

from ledger import Ledger
from ledger.config import LedgerConfig
from tests.http.support import Keys


def test_an_event_names_its_customer_by_an_identifier(client: TestClient, keys: Keys, db_url: str) -> None:
    with Ledger(db_url, config=LedgerConfig()) as ledger:
        ledger.link_identifier("C-1", "email:ann@example.com")
    event = {"type": "purchase", "customer": {"email": "Ann@Example.com"}, "data": {"order_id": "O-1", "amount": "5"}}
    response = client.post("/v1/events", json=event, headers=keys.writer)
    assert response.status_code == 200, response.text
    stored = client.get("/v1/customers/C-1/timeline", headers=keys.reader).json()["events"]
    assert [e["type"] for e in stored] == ["identifier_linked", "purchase"]
    unknown = client.post(
        "/v1/events",
        json={**event, "customer": {"email": "bob@example.com"}, "data": {"order_id": "O-2", "amount": "5"}},
        headers=keys.writer,
    )
    assert unknown.status_code == 422, unknown.text
    assert "no customer holds this email" in unknown.text
