"""Erasure, consent, cohorts and money in another currency through the ASGI test client, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from http_api.problems import TYPE_BASE
from ledger import Ledger
from ledger.config import LedgerConfig
from tests.http.support import Keys, purchase


def post(client: TestClient, keys: Keys, *events: dict) -> None:
    response = client.post("/v1/events", json={"events": list(events)}, headers=keys.writer)
    assert response.status_code == 200, response.text


def test_erasure_needs_admin_shreds_personal_fields_and_happens_once(client: TestClient, keys: Keys) -> None:
    post(client, keys, {"type": "contact", "customer": "C-1", "data": {"channel": "email", "note": "Ann called"}})
    body = {"reason": "GDPR Art. 17 request 7"}
    assert client.post("/v1/customers/C-1/erase", json=body, headers=keys.writer).status_code == 403
    erased = client.post("/v1/customers/C-1/erase", json=body, headers=keys.admin)
    assert erased.status_code == 200, erased.text
    receipt = erased.json()
    assert (receipt["actor"], receipt["reason"], receipt["fields"]) == ("operator", body["reason"], ["contact.note"])
    events = client.get("/v1/customers/C-1/timeline", headers=keys.pii).json()["events"]
    assert events[-1]["type"] == "customer_erased" and events[-1]["source"] == "operator"
    again = client.post("/v1/customers/C-1/erase", json=body, headers=keys.admin)
    assert again.status_code == 409 and again.json()["type"] == TYPE_BASE + "already-erased"
    assert client.post("/v1/customers/C-9/erase", json=body, headers=keys.admin).status_code == 404
    assert client.post("/v1/customers/C-1/erase", json={}, headers=keys.admin).status_code == 400


def test_consent_per_purpose_on_a_day(client: TestClient, keys: Keys) -> None:
    grant = {"purpose": "marketing_email", "source": "web", "text_version": "v3"}
    post(
        client,
        keys,
        {"type": "consent_granted", "customer": "C-1", "occurred_at": "2024-05-01", "data": grant},
        {"type": "consent_withdrawn", "customer": "C-1", "occurred_at": "2024-06-01", "data": {"purpose": "marketing_email"}},
    )
    states = {}
    for day in ("2024-04-01", "2024-05-15", "2024-06-15"):
        answer = client.get("/v1/customers/C-1/consent", params={"as_of": day}, headers=keys.reader)
        assert answer.status_code == 200, answer.text
        states[day] = {entry["purpose"]: entry["state"] for entry in answer.json()["purposes"]}["marketing_email"]
    assert states == {"2024-04-01": "none", "2024-05-15": "granted", "2024-06-15": "withdrawn"}
    post(client, keys, purchase(), purchase(customer="C-2", order="O-2"))
    consenting = client.get("/v1/customers", params={"consent": "marketing_email", "as_of": "2024-05-15"}, headers=keys.reader)
    assert [row["customer"] for row in consenting.json()["items"]] == ["C-1"]
    unknown = client.get("/v1/customers", params={"consent": "telepathy"}, headers=keys.reader)
    assert unknown.status_code == 400 and "telepathy" in unknown.json()["detail"]
    assert client.get("/v1/customers/C-9/consent", headers=keys.reader).status_code == 404


def test_money_in_another_currency_on_every_endpoint_that_takes_one(
    client: TestClient, keys: Keys, db_url: str, tmp_path: Path
) -> None:
    post(client, keys, purchase(amount="10.00"), purchase(customer="C-2", order="O-2", amount="30.00"))
    missing = client.get("/v1/customers/C-1/profile", params={"currency": "USD"}, headers=keys.reader)
    assert missing.status_code == 409 and missing.json()["type"] == TYPE_BASE + "missing-rate"
    rates = tmp_path / "rates.csv"
    rates.write_text("Date,USD\n2024-05-01,1.25\n", encoding="utf-8")
    with Ledger(db_url, config=LedgerConfig()) as ledger:
        ledger.import_rates(rates)
    profile = client.get("/v1/customers/C-1/profile", params={"currency": "USD"}, headers=keys.reader).json()
    assert (profile["currency"], profile["total_spend"]) == ("USD", "12.50")
    listed = client.get("/v1/customers", params={"currency": "USD", "as_of": "2024-06-01"}, headers=keys.reader).json()
    assert [row["spend_365"] for row in listed["items"]] == ["12.50", "37.50"]
    revenue = client.get(
        "/v1/cohorts", params={"metric": "revenue", "currency": "USD", "as_of": "2024-06-30"}, headers=keys.reader
    ).json()
    assert (revenue["currency"], revenue["cohorts"][0]["size"], revenue["cohorts"][0]["values"][0]) == ("USD", 2, "50.00")
    trends = client.get("/v1/trends", params={"currency": "USD", "start": "2024-05-01"}, headers=keys.reader).json()
    assert [(row["revenue"], row["currency"]) for row in trends["rows"]] == [("50.00", "USD")]
    unknown = client.get("/v1/customers", params={"currency": "XYZ"}, headers=keys.reader)
    assert unknown.status_code == 400 and unknown.json()["type"] == TYPE_BASE + "unknown-currency"
    assert client.get("/v1/customers", params={"currency": "usd"}, headers=keys.reader).status_code == 400


def test_cohorts_by_first_purchase_month(client: TestClient, keys: Keys) -> None:
    post(
        client,
        keys,
        purchase(occurred_at="2024-05-01T10:00:00Z"),
        purchase(order="O-2", occurred_at="2024-06-03T10:00:00Z"),
        purchase(customer="C-2", order="O-3", occurred_at="2024-05-11T10:00:00Z"),
    )
    table = client.get("/v1/cohorts", params={"as_of": "2024-07-31"}, headers=keys.reader)
    assert table.status_code == 200, table.text
    assert table.json()["cohorts"] == [{"cohort": "2024-05", "size": 2, "values": [1.0, 0.5, 0.0]}]
    unbounded = client.get("/v1/cohorts", params={"as_of": "2024-07-31", "convention": "unbounded"}, headers=keys.reader)
    assert unbounded.json()["convention"] == "unbounded"
    assert client.get("/v1/cohorts", params={"by": "year"}, headers=keys.reader).status_code == 400
