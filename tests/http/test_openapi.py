"""The checked-in OpenAPI document matches the code, and documents every endpoint with an example."""

from __future__ import annotations

import json
from pathlib import Path

from http_api.openapi import openapi_text

CHECKED_IN = Path(__file__).parents[2] / "openapi.json"
REGENERATE = ".venv/bin/python -m http_api.openapi > openapi.json"


def test_the_checked_in_document_is_the_generated_one() -> None:
    assert CHECKED_IN.read_text(encoding="utf-8") == openapi_text(), (
        f"openapi.json is out of date: regenerate it with `{REGENERATE}`"
    )


def test_every_endpoint_has_an_example_and_answers_errors_as_problems() -> None:
    document = json.loads(openapi_text())
    schemas = document["components"]["schemas"]
    operations = [(path, method, op) for path, methods in document["paths"].items() for method, op in methods.items()]
    assert len(operations) == 19
    for path, method, operation in operations:
        content = operation["responses"]["200"]["content"]
        referenced = [c["schema"].get("$ref", "").rsplit("/", 1)[-1] for c in content.values() if "schema" in c]
        examples = [c for c in content.values() if "example" in c or "examples" in c] + [
            name for name in referenced if "examples" in schemas.get(name, {})
        ]
        assert examples, f"{method.upper()} {path} has no example"
        for status, response in operation["responses"].items():
            if int(status) >= 400:
                assert list(response.get("content", {})) == ["application/problem+json"], f"{method.upper()} {path} {status}"
