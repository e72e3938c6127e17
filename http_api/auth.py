"""Bearer API keys with scopes, and the per-key rate limit (http_api.rate_limit)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from http_api.problems import HttpProblemError
from ledger import Ledger
from ledger.api_keys import SCOPES, ApiKey

bearer = HTTPBearer(auto_error=False, description="An API key made with `ledger api-keys create NAME --scope ...`.")


def _unauthorized(detail: str) -> HttpProblemError:
    return HttpProblemError(401, "unauthorized", "Unauthorized", detail, {"WWW-Authenticate": 'Bearer realm="ledger"'})


def require(scope: str) -> Callable[..., ApiKey]:
    """Return a dependency that authenticates the request's key, checks it has scope, and applies the rate limit."""
    assert scope in SCOPES, scope

    def authorized(request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> ApiKey:
        # A plain function: FastAPI runs it in the thread pool, so the key's lookup never blocks the event loop.
        if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
            raise _unauthorized("send Authorization: Bearer <API key>")
        ledger: Ledger = request.app.state.ledger
        key = ledger.authenticate(credentials.credentials)
        if key is None:
            raise _unauthorized("unknown or revoked API key")
        if scope not in key.scopes:
            raise HttpProblemError(
                403, "forbidden", "Forbidden", f"this endpoint needs the {scope!r} scope; the key has {', '.join(key.scopes)}"
            )
        wait = request.app.state.rate_limiter.wait_needed(key.name)
        if wait > 0:
            raise HttpProblemError(
                429,
                "rate-limited",
                "Too many requests",
                f"the key {key.name!r} is over its rate limit",
                {"Retry-After": str(max(1, math.ceil(wait)))},
            )
        request.state.api_key = key
        return key

    return authorized


def has_pii(key: ApiKey) -> bool:
    """Whether a key may read personal data fields unmasked."""
    return "pii" in key.scopes
