"""Property-based requests generated from the OpenAPI document: no 5xx, and every response conforms to it."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from http_api.app import create_app
from http_api.settings import ApiSettings
from ledger import Ledger
from ledger.config import LedgerConfig

warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
CASES_PER_ENDPOINT = 25


@pytest.fixture(scope="module")
def fuzzed_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[object, str]]:
    """Serve an app on a SQLite ledger with a few events and a key of every scope."""
    url = f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'ledger.db'}"
    with Ledger(url, config=LedgerConfig()) as ledger:
        token = ledger.create_api_key("fuzzer", "append,read,pii,audit,admin").token
        ledger.append_many(
            [
                {"type": "purchase", "customer": "C-1", "event_id": "E-1", "data": {"order_id": "O-1", "amount": "9.90"}},
                {"type": "contact", "customer": "C-1", "data": {"channel": "email"}},
            ]
        )
    # The app opens its Ledger in its lifespan, which schemathesis' ASGI transport does not run.
    APP.state.ledger = Ledger(url, config=LedgerConfig())
    yield APP, token
    APP.state.ledger.close()


# Made at import, as schemathesis needs the schema to generate the tests; it opens its Ledger in the fixture.
APP = create_app(settings=ApiSettings())
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@schema.parametrize()
@settings(max_examples=CASES_PER_ENDPOINT, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_endpoint_conforms(case: schemathesis.Case, fuzzed_app: tuple[object, str]) -> None:
    _app, token = fuzzed_app
    # Strings matching a pattern can still be no date ("0000-00-00"): such a 400 is right, not a rejected valid request.
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, excluded_checks=[positive_data_acceptance])
