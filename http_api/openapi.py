"""Print the API's OpenAPI document as checked in: ``python -m http_api.openapi > openapi.json``."""

from __future__ import annotations

import json

from http_api.app import create_app, openapi_document


def openapi_text() -> str:
    """Return the OpenAPI document as stable, indented JSON text."""
    return json.dumps(openapi_document(create_app()), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    print(openapi_text(), end="")
