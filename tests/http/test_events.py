"""POST /v1/events, voids and corrections through the ASGI test client, on SQLite and PostgreSQL."""

from __future__ import annotations

from fastapi.testclient import TestClient

from http_api.problems import PROBLEM_JSON, TYPE_BASE
from http_api.settings import ApiSettings
from tests.http.support import Keys, client_for, purchase


def timeline(client: TestClient, keys: Keys, customer: str = "C-1") -> list[dict]:
    response = client.get(f"/v1/customers/{customer}/timeline", headers=keys.pii)
    assert response.status_code == 200, response.text
    return response.json()["events"]


def test_a_single_event_is_stored_with_the_key_as_actor_and_source(client: TestClient, keys: Keys) -> None:
    response = client.post("/v1/events", json=purchase(), headers=keys.writer)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["stored"], body["duplicates"], body["rejected"]) == (1, 0, 0)
    assert body["results"][0]["status"] == "stored" and body["results"][0]["position"] == 1
    (event,) = timeline(client, keys)
    assert (event["actor"], event["source"]) == ("shop", "shop")


def test_the_body_may_set_the_source_but_not_another_actor(client: TestClient, keys: Keys) -> None:
    own = client.post("/v1/events", json=purchase(source="till-7", actor="shop"), headers=keys.writer)
    assert own.status_code == 200
    claimed = client.post("/v1/events", json=purchase(order="O-2", actor="someone-else"), headers=keys.writer)
    assert claimed.status_code == 422
    assert claimed.headers["content-type"] == PROBLEM_JSON
    assert claimed.json()["problems"][0]["pointer"] == "/actor"
    (event,) = timeline(client, keys)
    assert (event["actor"], event["source"]) == ("shop", "till-7")


def test_the_idempotency_key_makes_a_retry_a_duplicate_at_the_same_position(client: TestClient, keys: Keys) -> None:
    headers = {**keys.writer, "Idempotency-Key": "order-O-1"}
    first = client.post("/v1/events", json=purchase(), headers=headers).json()["results"][0]
    again = client.post("/v1/events", json=purchase(), headers=headers).json()["results"][0]
    assert first == {**again, "status": "stored"}
    assert (again["status"], again["event_id"]) == ("duplicate", "order-O-1")
    assert len(timeline(client, keys)) == 1
    clash = client.post("/v1/events", json=purchase(event_id="other"), headers=headers)
    assert clash.status_code == 400


def test_a_batch_reports_each_event_and_is_207_when_some_are_rejected(client: TestClient, keys: Keys) -> None:
    events = [
        purchase(event_id="E-1"),
        purchase(order="O-2", amount="-1"),
        purchase(event_id="E-1"),
        {"type": "nope", "customer": "C-1"},
    ]
    response = client.post("/v1/events", json={"events": events}, headers=keys.writer)
    assert response.status_code == 207, response.text
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["stored", "rejected", "duplicate", "rejected"]
    assert results[1]["problems"] == [
        {
            "pointer": "/events/1/data/amount",
            "field": "data.amount",
            "reason": "Input should be greater than or equal to 0 (got '-1')",
        }
    ]
    assert results[3]["problems"][0]["pointer"] == "/events/3/type"
    assert results[2]["position"] == results[0]["position"]


def test_a_batch_whose_events_are_all_rejected_is_a_422_problem_listing_them(client: TestClient, keys: Keys) -> None:
    response = client.post("/v1/events", json={"events": [purchase(amount="x"), purchase(amount="-1")]}, headers=keys.writer)
    assert response.status_code == 422
    problem = response.json()
    assert problem["type"] == TYPE_BASE + "invalid-event"
    assert [item["index"] for item in problem["items"]] == [0, 1]
    assert problem["items"][1]["problems"][0]["pointer"] == "/events/1/data/amount"


def test_strict_stores_nothing_when_one_event_is_invalid_or_breaks_a_rule(client: TestClient, keys: Keys) -> None:
    invalid = client.post(
        "/v1/events?strict=true", json={"events": [purchase(), purchase(order="O-2", amount="-1")]}, headers=keys.writer
    )
    assert invalid.status_code == 422
    refund = {"type": "refund", "customer": "C-1", "data": {"order_id": "O-9", "amount": "5.00"}}
    broken = client.post("/v1/events?strict=true", json={"events": [purchase(), refund]}, headers=keys.writer)
    assert broken.status_code == 422, broken.text
    assert broken.json()["items"][0]["index"] == 1
    assert client.get("/v1/customers/C-1/timeline", headers=keys.reader).status_code == 404


def test_a_batch_over_the_limit_is_413_and_stores_nothing(db_url: str, keys: Keys) -> None:
    with client_for(db_url, ApiSettings(batch_limit=3, max_body_bytes=4096)) as client:
        over = client.post("/v1/events", json={"events": [purchase(order=f"O-{i}") for i in range(4)]}, headers=keys.writer)
        assert over.status_code == 413 and over.headers["content-type"] == PROBLEM_JSON
        huge = client.post("/v1/events", json=purchase(data_note="x" * 5000), headers=keys.writer)
        assert huge.status_code == 413
        assert client.get("/v1/log", headers=keys.reader).json()["events"] == []


def test_an_event_too_large_fails_alone_with_its_size(db_url: str, keys: Keys) -> None:
    big = purchase(order="O-2")
    big["data"] = {**big["data"], "sku": "s", "category": "c" * 150}  # type: ignore[dict-item]
    big["correlation_id"] = "x" * 190
    with client_for(db_url, ApiSettings(max_event_bytes=300)) as client:
        response = client.post("/v1/events", json={"events": [purchase(), big]}, headers=keys.writer)
        assert response.status_code == 207
        rejected = response.json()["results"][1]
        assert rejected["status"] == "rejected"
        assert "bytes of JSON" in rejected["problems"][0]["reason"]


def test_expected_version_stores_only_on_the_version_given(client: TestClient, keys: Keys) -> None:
    assert client.post("/v1/events", json=purchase(expected_version=0), headers=keys.writer).status_code == 200
    stale = client.post("/v1/events", json=purchase(order="O-2", expected_version=0), headers=keys.writer)
    assert stale.status_code == 409
    assert stale.json()["current_version"] == 1 and stale.json()["type"] == TYPE_BASE + "version-conflict"
    batch = {"events": [purchase(order="O-2"), purchase(order="O-3")], "expected_version": 1}
    assert client.post("/v1/events", json=batch, headers=keys.writer).status_code == 200
    assert client.post("/v1/events", json=purchase(order="O-4"), headers={**keys.writer, "If-Match": '"1"'}).status_code == 409
    assert client.post("/v1/events", json=purchase(order="O-4"), headers={**keys.writer, "If-Match": '"3"'}).status_code == 200
    mixed = {"events": [purchase(), purchase(customer="C-2")], "expected_version": 3}
    assert client.post("/v1/events", json=mixed, headers=keys.writer).status_code == 400


def test_the_version_counts_voids_so_a_void_moves_it(client: TestClient, keys: Keys) -> None:
    stored = client.post("/v1/events", json={"events": [purchase(event_id="E-1"), purchase(order="O-2")]}, headers=keys.writer)
    assert stored.status_code == 200
    void = client.post("/v1/events/E-1/void", json={"reason": "entered twice"}, headers=keys.writer)
    assert void.status_code == 200, void.text
    assert void.json()["duplicate"] is False
    timeline_response = client.get("/v1/customers/C-1/timeline", headers=keys.reader)
    assert timeline_response.headers["etag"] == '"3"' and timeline_response.json()["version"] == 3
    assert client.post("/v1/events", json=purchase(order="O-3", expected_version=2), headers=keys.writer).status_code == 409
    assert client.post("/v1/events", json=purchase(order="O-3", expected_version=3), headers=keys.writer).status_code == 200


def test_corrections_and_voids_of_unknown_events_are_404(client: TestClient, keys: Keys) -> None:
    client.post("/v1/events", json=purchase(event_id="E-1"), headers=keys.writer)
    corrected = client.post(
        "/v1/events/E-1/correct", json={"changes": {"amount": "29.90"}, "reason": "typo"}, headers=keys.writer
    )
    assert corrected.status_code == 200, corrected.text
    events = timeline(client, keys)
    assert events[-1]["type"] == "event_corrected" and events[-1]["actor"] == "shop"
    missing = client.post("/v1/events/E-404/void", json={"reason": "x"}, headers=keys.writer)
    assert missing.status_code == 404 and missing.json()["type"] == TYPE_BASE + "event-not-found"


def test_bodies_that_are_not_events_are_400(client: TestClient, keys: Keys) -> None:
    headers = {**keys.writer, "Content-Type": "application/json"}
    assert client.post("/v1/events", content=b"{not json", headers=headers).status_code == 400
    assert client.post("/v1/events", json=[purchase()], headers=keys.writer).status_code == 400
    assert client.post("/v1/events", json={"events": "x"}, headers=keys.writer).status_code == 400
