"""Auditors' and operators' endpoints and the probes, through the ASGI test client."""

from __future__ import annotations

from fastapi.testclient import TestClient

from http_api.settings import ApiSettings
from tests.http.support import Keys, client_for, purchase


def test_a_digest_then_verify_with_it_and_with_a_forged_one(client: TestClient, keys: Keys) -> None:
    client.post("/v1/events", json={"events": [purchase(), purchase(order="O-2")]}, headers=keys.writer)
    digest = client.get("/v1/digest", headers=keys.auditor).json()
    assert digest["position"] == 2
    report = client.post("/v1/verify", json={"position": 2, "root": digest["root"]}, headers=keys.auditor)
    assert report.status_code == 200, report.text
    assert report.json()["events"] == 2 and report.json()["digest_position"] == 2
    assert client.post("/v1/verify", headers=keys.auditor).status_code == 200
    forged = client.post("/v1/verify", json={"position": 2, "root": "0" * 64}, headers=keys.auditor)
    assert forged.status_code == 409 and forged.json()["type"].endswith("verification-failed")
    assert forged.json()["position"] == 2


def test_projections_are_listed_and_rebuilt(client: TestClient, keys: Keys) -> None:
    client.post("/v1/events", json=purchase(), headers=keys.writer)
    statuses = client.get("/v1/projections", headers=keys.admin).json()
    assert statuses and all("behind" in status for status in statuses)
    name = statuses[0]["name"]
    rebuilt = client.post(f"/v1/projections/{name}/rebuild", headers=keys.admin)
    assert rebuilt.status_code == 200, rebuilt.text
    assert rebuilt.json()["projections"] == [name]
    unknown = client.post("/v1/projections/nope/rebuild", headers=keys.admin)
    assert unknown.status_code == 404 and unknown.json()["type"].endswith("unknown-projection")


def test_readiness_fails_while_projections_are_too_far_behind(db_url: str, keys: Keys) -> None:
    with client_for(db_url, ApiSettings(ready_max_lag=1)) as client:
        assert client.get("/healthz").json() == {"status": "ok", "max_lag": None}
        assert client.get("/readyz").status_code == 200
        client.post("/v1/events", json={"events": [purchase(), purchase(order="O-2")]}, headers=keys.writer)
        behind = client.get("/readyz")
        assert behind.status_code == 503 and behind.json()["type"].endswith("projections-behind")
        names = [status["name"] for status in client.get("/v1/projections", headers=keys.admin).json()]
        for name in names:
            client.post(f"/v1/projections/{name}/rebuild", headers=keys.admin)
        assert client.get("/readyz").json()["max_lag"] == 0


def test_metrics_count_requests_events_and_lag(client: TestClient, keys: Keys) -> None:
    client.post("/v1/events", json={"events": [purchase(), purchase(amount="-1")]}, headers=keys.writer)
    client.get("/v1/customers/C-1/timeline", headers=keys.reader)
    text = client.get("/metrics").text
    assert 'ledger_http_requests_total{method="POST",route="/v1/events",status="207"}' in text
    assert 'route="/v1/customers/{customer}/timeline"' in text and "C-1" not in text
    assert 'ledger_http_events_total{outcome="rejected"}' in text
    assert "ledger_http_request_duration_seconds_bucket" in text
    assert "ledger_projection_lag_events{projection=" in text
