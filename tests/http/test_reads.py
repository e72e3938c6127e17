"""Queries and the log through the ASGI test client: masking, pagination, bounds, long-poll."""

from __future__ import annotations

import threading
import time

from fastapi.testclient import TestClient

from tests.http.support import Keys, purchase


def seed(client: TestClient, keys: Keys) -> None:
    events = [
        purchase("C-1", event_id="E-1"),
        {
            "type": "contact",
            "customer": "C-1",
            "occurred_at": "2024-05-02",
            "data": {"channel": "email", "note": "called about Ann"},
        },
        {
            "type": "complaint_filed",
            "customer": "C-2",
            "occurred_at": "2024-05-03",
            "data": {"complaint_id": "K-1", "severity": "high", "description": "rude"},
        },
        {
            "type": "survey_answered",
            "customer": "C-3",
            "occurred_at": "2024-05-04",
            "data": {"survey_id": "S", "kind": "nps", "score": 9},
        },
    ]
    assert client.post("/v1/events", json={"events": events}, headers=keys.writer).status_code == 200


def test_personal_fields_are_masked_without_the_pii_scope(client: TestClient, keys: Keys) -> None:
    seed(client, keys)
    client.post("/v1/events/E-1/correct", json={"changes": {"sku": "A"}, "reason": "wrong sku"}, headers=keys.writer)
    masked = client.get("/v1/customers/C-1/timeline", headers=keys.reader).json()["events"]
    clear = client.get("/v1/customers/C-1/timeline", headers=keys.pii).json()["events"]
    assert masked[1]["data"]["note"] == "***" and clear[1]["data"]["note"] == "called about Ann"
    assert masked[1]["data"]["channel"] == "email"
    assert masked[2]["data"]["reason"] == "***" and clear[2]["data"]["reason"] == "wrong sku"
    assert masked[2]["data"]["changes"] == {"sku": "A"}
    log = client.get("/v1/log", headers=keys.reader).json()["events"]
    assert [e["data"].get("description") for e in log if e["type"] == "complaint_filed"] == ["***"]


def test_timeline_bounds_and_unknown_customers(client: TestClient, keys: Keys) -> None:
    seed(client, keys)
    bounded = client.get("/v1/customers/C-1/timeline", params={"as_of": "2024-05-01"}, headers=keys.reader)
    assert [e["type"] for e in bounded.json()["events"]] == ["purchase"]
    assert bounded.json()["version"] == 2
    missing = client.get("/v1/customers/C-404/timeline", headers=keys.reader)
    assert missing.status_code == 404 and missing.json()["type"].endswith("customer-not-found")
    bad = client.get("/v1/customers/C-1/profile", params={"as_of": "soon"}, headers=keys.reader)
    assert bad.status_code == 400 and "as_of" in bad.json()["detail"]


def test_profile_trends_and_complaints_answer_as_of_a_day(client: TestClient, keys: Keys) -> None:
    seed(client, keys)
    profile = client.get("/v1/customers/C-1/profile", params={"as_of": "2024-06-01"}, headers=keys.reader)
    assert profile.status_code == 200, profile.text
    assert profile.json()["purchases"] == 1 and profile.json()["spend"] == {"EUR": "19.90"}
    earlier = client.get(
        "/v1/customers/C-1/profile", params={"as_of": "2024-05-01", "known_at": "2030-01-01"}, headers=keys.reader
    )
    assert earlier.json()["contacts"] == 0
    trends = client.get("/v1/trends", params={"as_of": "2024-06-01", "by": "month"}, headers=keys.reader).json()
    assert [(row["period"], row["nps_answers"]) for row in trends["rows"]] == [("2024-05", 1)]
    complaints = client.get("/v1/complaints", params={"as_of": "2024-06-01", "open": "true"}, headers=keys.reader).json()
    assert [(row["complaint_id"], row["state"]) for row in complaints["rows"]] == [("K-1", "open")]


def test_customers_come_a_page_at_a_time_by_cursor(client: TestClient, keys: Keys) -> None:
    seed(client, keys)
    seen, cursor = [], None
    for _ in range(5):
        params = {"limit": 2, "as_of": "2024-06-01", **({"cursor": cursor} if cursor else {})}
        page = client.get("/v1/customers", params=params, headers=keys.reader).json()
        seen += [item["customer"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ["C-1", "C-2", "C-3"]
    assert client.get("/v1/customers", params={"limit": 0}, headers=keys.reader).status_code == 400


def test_the_log_pages_by_position(client: TestClient, keys: Keys) -> None:
    seed(client, keys)
    first = client.get("/v1/log", params={"after": 0, "limit": 3}, headers=keys.reader).json()
    assert [e["position"] for e in first["events"]] == [1, 2, 3] and first["next_after"] == 3
    rest = client.get("/v1/log", params={"after": first["next_after"]}, headers=keys.reader).json()
    assert [e["position"] for e in rest["events"]] == [4]
    empty = client.get("/v1/log", params={"after": 4}, headers=keys.reader).json()
    assert empty == {"events": [], "next_after": 4}


def test_a_long_poll_answers_when_an_event_arrives(client: TestClient, keys: Keys) -> None:
    def append_later() -> None:
        time.sleep(0.6)
        client.post("/v1/events", json=purchase(), headers=keys.writer)

    writer = threading.Thread(target=append_later)
    started = time.monotonic()
    writer.start()
    page = client.get("/v1/log", params={"after": 0, "wait": 10}, headers=keys.reader).json()
    waited = time.monotonic() - started
    writer.join()
    assert [e["position"] for e in page["events"]] == [1]
    assert 0.5 < waited < 5
    started = time.monotonic()
    assert client.get("/v1/log", params={"after": 1, "wait": 0.5}, headers=keys.reader).json()["events"] == []
    assert time.monotonic() - started >= 0.5
