"""The schema's examples are what the API really answers: each request example is accepted, each 200 example has the
shape of a real answer, and each problem example is reproduced word for word by a real request."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from http_api import examples
from http_api.openapi import openapi_text
from http_api.settings import ApiSettings
from tests.http.support import Keys, bearer, client_for

DOCUMENT = json.loads(openapi_text())
SCHEMAS = DOCUMENT["components"]["schemas"]
Call = Callable[[TestClient, Keys], httpx.Response]


def request_example(path: str, method: str = "post", name: str | None = None) -> Any:
    """Return a request body example of an operation: a named one of the body, or the example of its schema."""
    content = DOCUMENT["paths"][path][method]["requestBody"]["content"]["application/json"]
    if name is not None:
        return content["examples"][name]["value"]
    reference = content["schema"].get("$ref") or content["schema"]["anyOf"][0]["$ref"]
    return SCHEMAS[reference.rsplit("/", 1)[-1]]["examples"][0]


def ok_example(path: str, method: str) -> Any:
    """Return the documented 200 answer of an operation: its own example, or its model's."""
    for media in DOCUMENT["paths"][path][method]["responses"]["200"]["content"].values():
        if "example" in media:
            return media["example"]
        reference = media.get("schema", {}).get("$ref")
        if reference:
            return SCHEMAS[reference.rsplit("/", 1)[-1]]["examples"][0]
    raise AssertionError(f"{method.upper()} {path} has no 200 example")


def assert_same_shape(example: Any, actual: Any, where: str = "") -> None:
    """Assert the same members all the way down and the same JSON types wherever both have a value."""
    if isinstance(example, dict):
        assert isinstance(actual, dict), f"{where}: {actual!r}"
        # The document leaves out an example's null members: an answer's null may be one of those.
        undocumented = sorted(member for member in set(actual) - set(example) if actual[member] is not None)
        assert not undocumented and set(example) <= set(actual), (
            f"{where}: documented {sorted(example)}, answered {sorted(actual)}"
        )
        for member in example:
            assert_same_shape(example[member], actual[member], f"{where}/{member}")
    elif isinstance(example, list):
        assert isinstance(actual, list), f"{where}: {actual!r}"
        if example and actual:
            assert_same_shape(example[0], actual[0], f"{where}/0")
    elif example is not None and actual is not None:
        number = (int, float)
        same = isinstance(example, number) and isinstance(actual, number) and not isinstance(actual, bool)
        assert same or type(example) is type(actual), f"{where}: documented {example!r}, answered {actual!r}"


@pytest.fixture
def seeded(client: TestClient, keys: Keys) -> TestClient:
    """Store the schema's POST /v1/events examples (which must be accepted as they are) and a contact to void."""
    for name in ("single", "batch"):
        response = client.post("/v1/events", json=request_example("/v1/events", name=name), headers=keys.writer)
        assert response.status_code == 200, f"the {name!r} example of POST /v1/events: {response.text}"
    contact = {"type": "contact", "customer": "C-1", "event_id": "E-2", "data": {"channel": "email", "note": "Ann called"}}
    consent = {
        "type": "consent_granted",
        "customer": "C-1",
        "data": {"purpose": "marketing_email", "source": "web", "text_version": "v3"},
    }
    for event in (contact, consent):
        assert client.post("/v1/events", json=event, headers=keys.writer).status_code == 200
    return client


def _verify_with_a_real_digest(client: TestClient, keys: Keys) -> httpx.Response:
    digest = client.get("/v1/digest", headers=keys.auditor).json()
    body = {**request_example("/v1/verify"), "position": digest["position"], "root": digest["root"]}
    return client.post("/v1/verify", json=body, headers=keys.auditor)


OK_CALLS: dict[tuple[str, str], Call] = {
    ("get", "/healthz"): lambda c, k: c.get("/healthz"),
    ("get", "/readyz"): lambda c, k: c.get("/readyz"),
    ("get", "/metrics"): lambda c, k: c.get("/metrics"),
    ("post", "/v1/events"): lambda c, k: c.post(
        "/v1/events", json=request_example("/v1/events", name="single"), headers=k.writer
    ),
    ("post", "/v1/events/{event_id}/correct"): lambda c, k: c.post(
        "/v1/events/shop-order-O-1/correct", json=request_example("/v1/events/{event_id}/correct"), headers=k.writer
    ),
    ("post", "/v1/events/{event_id}/void"): lambda c, k: c.post(
        "/v1/events/E-2/void", json=request_example("/v1/events/{event_id}/void"), headers=k.writer
    ),
    ("get", "/v1/customers/{customer}/timeline"): lambda c, k: c.get("/v1/customers/C-1/timeline", headers=k.reader),
    ("get", "/v1/customers/{customer}/profile"): lambda c, k: c.get("/v1/customers/C-1/profile", headers=k.reader),
    ("get", "/v1/customers"): lambda c, k: c.get("/v1/customers", headers=k.reader),
    ("get", "/v1/trends"): lambda c, k: c.get("/v1/trends", headers=k.reader),
    ("get", "/v1/complaints"): lambda c, k: c.get("/v1/complaints", headers=k.reader),
    ("get", "/v1/log"): lambda c, k: c.get("/v1/log", headers=k.reader),
    ("get", "/v1/digest"): lambda c, k: c.get("/v1/digest", headers=k.auditor),
    ("post", "/v1/verify"): _verify_with_a_real_digest,
    ("get", "/v1/projections"): lambda c, k: c.get("/v1/projections", headers=k.admin),
    ("post", "/v1/projections/{name}/rebuild"): lambda c, k: c.post("/v1/projections/profiles/rebuild", headers=k.admin),
    ("get", "/v1/cohorts"): lambda c, k: c.get("/v1/cohorts", headers=k.reader),
    ("get", "/v1/customers/{customer}/consent"): lambda c, k: c.get("/v1/customers/C-1/consent", headers=k.reader),
    ("post", "/v1/customers/{customer}/erase"): lambda c, k: c.post(
        "/v1/customers/C-1/erase", json=request_example("/v1/customers/{customer}/erase"), headers=k.admin
    ),
}


def test_every_operation_has_an_example_checked_here() -> None:
    documented = {(method, path) for path, methods in DOCUMENT["paths"].items() for method in methods}
    assert documented == set(OK_CALLS)


def test_each_200_example_has_the_shape_of_a_real_answer(seeded: TestClient, keys: Keys) -> None:
    seeded.post(
        "/v1/events", json={"type": "complaint_filed", "customer": "C-2", "data": {"complaint_id": "K-1"}}, headers=keys.writer
    )
    seeded.post("/v1/projections/profiles/rebuild", headers=keys.admin)
    # Erasure last: it changes what the other answers show.
    drifted = []
    for (method, path), call in sorted(OK_CALLS.items(), key=lambda item: item[0][1].endswith("/erase")):
        response = call(seeded, keys)
        assert response.status_code == 200, f"{method.upper()} {path}: {response.text}"
        try:
            if path == "/metrics":
                assert ok_example(path, method) in response.text, "GET /metrics"
            else:
                assert_same_shape(ok_example(path, method), response.json(), f"{method.upper()} {path}")
        except AssertionError as error:
            drifted.append(str(error).split("\n", 1)[0])
    assert drifted == [], "\n".join(drifted)


def _rate_limited(db_url: str, keys: Keys) -> httpx.Response:
    with client_for(db_url, ApiSettings(rate_limit=0.01, rate_burst=1)) as limited:
        limited.get("/v1/log", headers=keys.writer)
        return limited.get("/v1/log", headers=keys.writer)


def _version_conflict(client: TestClient, keys: Keys) -> httpx.Response:
    events = [{"type": "contact", "customer": "C-1", "data": {"channel": "email"}}] * 4
    assert client.post("/v1/events", json={"events": events}, headers=keys.writer).status_code == 200
    return client.post("/v1/events", json={"events": events[:1], "expected_version": 3}, headers=keys.writer)


def _already_erased(client: TestClient, keys: Keys) -> httpx.Response:
    body = request_example("/v1/customers/{customer}/erase")
    client.post("/v1/events", json={"type": "contact", "customer": "C-1", "data": {"channel": "email"}}, headers=keys.writer)
    assert client.post("/v1/customers/C-1/erase", json=body, headers=keys.admin).status_code == 200
    return client.post("/v1/customers/C-1/erase", json=body, headers=keys.admin)


def _forged_digest(client: TestClient, keys: Keys) -> httpx.Response:
    events = [{"type": "contact", "customer": "C-1", "data": {"channel": "email"}}] * 7
    client.post("/v1/events", json={"events": events}, headers=keys.writer)
    return client.post("/v1/verify", json={"position": 7, "root": "0" * 64}, headers=keys.auditor)


def _missing_rate(client: TestClient, keys: Keys) -> httpx.Response:
    purchase = {"type": "purchase", "customer": "C-1", "occurred_at": "2024-05-01", "data": {"order_id": "O-1", "amount": "5"}}
    client.post("/v1/events", json=purchase, headers=keys.writer)
    return client.get("/v1/customers/C-1/profile", params={"currency": "USD"}, headers=keys.reader)


PROBLEM_CALLS: dict[str, Callable[[TestClient, Keys, str], httpx.Response]] = {
    "unauthorized": lambda c, k, db: c.get("/v1/log", headers=bearer("not-a-key")),
    "forbidden": lambda c, k, db: c.get("/v1/projections", headers=k.reader),
    "rate-limited": lambda c, k, db: _rate_limited(db, k),
    "customer-not-found": lambda c, k, db: c.get("/v1/customers/C-9/profile", headers=k.reader),
    "unknown-projection": lambda c, k, db: c.post("/v1/projections/nope/rebuild", headers=k.admin),
    "event-not-found": lambda c, k, db: c.post("/v1/events/E-9/void", json={"reason": "x"}, headers=k.writer),
    "invalid-body": lambda c, k, db: c.post("/v1/events", json={"events": "x"}, headers=k.writer),
    "invalid-parameter": lambda c, k, db: c.get("/v1/customers", params={"as_of": "2024-13-01"}, headers=k.reader),
    "invalid-event": lambda c, k, db: c.post(
        "/v1/events",
        json={"type": "purchase", "customer": "C-1", "data": {"order_id": "O-1", "amount": "-1"}},
        headers=k.writer,
    ),
    "version-conflict": lambda c, k, db: _version_conflict(c, k),
    "already-erased": lambda c, k, db: _already_erased(c, k),
    "verification-failed": lambda c, k, db: _forged_digest(c, k),
    "missing-rate": lambda c, k, db: _missing_rate(c, k),
}
# Outages cannot be caused from a request: the handler's words are checked in test_auth_and_errors.
NOT_REPRODUCED = {"database-unavailable"}


def test_every_problem_example_of_the_schema_is_registered() -> None:
    registered = [json.dumps(example, sort_keys=True) for example in examples.PROBLEMS.values()]
    shown = {
        json.dumps(media["example"], sort_keys=True)
        for methods in DOCUMENT["paths"].values()
        for operation in methods.values()
        for status, response in operation["responses"].items()
        if int(status) >= 400
        for media in response.get("content", {}).values()
        if "example" in media
    }
    assert shown <= set(registered)
    assert set(examples.PROBLEMS) == set(PROBLEM_CALLS) | NOT_REPRODUCED


@pytest.mark.parametrize("name", sorted(PROBLEM_CALLS))
def test_each_problem_example_is_what_a_real_request_answers(name: str, client: TestClient, keys: Keys, db_url: str) -> None:
    response = PROBLEM_CALLS[name](client, keys, db_url)
    assert response.headers["content-type"] == "application/problem+json"
    answered = response.json()
    documented = examples.PROBLEMS[name]
    assert {member: answered.get(member) for member in documented} == documented
    assert response.status_code == documented["status"]
