"""Errors as ``application/problem+json`` (RFC 9457): a stable ``type`` per LedgerError class, never a stack trace."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from ledger import (
    ConfigurationError,
    CustomerNotFoundError,
    DatabaseUnavailableError,
    EventNotFoundError,
    InvalidEventError,
    LedgerError,
    MissingRateError,
    ProjectionError,
    UnknownProjectionError,
    VersionConflictError,
)
from ledger.api_keys import ApiKeyError
from ledger.audit.digest import InvalidDigestError
from ledger.audit.verify import VerificationFailedError
from ledger.privacy.errors import AlreadyErasedError, MasterKeyError

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "urn:customer-ledger:problem:"
logger = logging.getLogger("http_api")

# The most specific class of an error's MRO listed here gives its status.
STATUS_BY_ERROR: dict[type[LedgerError], int] = {
    InvalidEventError: 422,
    InvalidDigestError: 422,
    CustomerNotFoundError: 404,
    EventNotFoundError: 404,
    UnknownProjectionError: 404,
    VerificationFailedError: 409,
    VersionConflictError: 409,
    AlreadyErasedError: 409,
    MissingRateError: 409,
    MasterKeyError: 503,
    ProjectionError: 503,
    DatabaseUnavailableError: 503,
    ConfigurationError: 503,
    ApiKeyError: 400,
    LedgerError: 400,
}


class FieldProblem(BaseModel):
    """One invalid field: where (a JSON pointer into the request body, and the ledger's dotted path) and why."""

    pointer: str = Field(examples=["/data/amount"])
    field: str = Field(examples=["data.amount"])
    reason: str = Field(examples=["Input should be greater than or equal to 0"])


class Problem(BaseModel):
    """An RFC 9457 problem document."""

    type: str = Field(examples=[TYPE_BASE + "invalid-event"])
    title: str = Field(examples=["Invalid event"])
    status: int = Field(examples=[422])
    detail: str = Field(examples=["data.amount: Input should be greater than or equal to 0"])
    problems: list[FieldProblem] | None = None
    current_version: int | None = Field(default=None, description="With 409 version-conflict: the stream's version now.")


class HttpProblemError(Exception):
    """An HTTP-level problem raised by the API itself (auth, limits, preconditions)."""

    def __init__(self, status: int, slug: str, title: str, detail: str, headers: dict[str, str] | None = None, **extra: Any):
        super().__init__(detail)
        self.status, self.slug, self.title, self.detail = status, slug, title, detail
        self.headers = headers or {}
        self.extra = extra


def slug_of(error_class: type[BaseException]) -> str:
    """Return the stable type slug of an error class: ``InvalidEventError`` -> ``invalid-event``."""
    name = error_class.__name__.removesuffix("Error")
    return re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower()


def title_of(error_class: type[BaseException]) -> str:
    """Return a short title from the class name: ``InvalidEventError`` -> ``Invalid event``."""
    return slug_of(error_class).replace("-", " ").capitalize()


def status_of(error: LedgerError) -> int:
    """Return the HTTP status of a ledger error (its most specific listed class)."""
    for cls in type(error).__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]
    return 400


def pointer(path: Iterable[str | int]) -> str:
    """Return an RFC 6901 JSON pointer to a location given as parts."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in path)


def field_problems(problems: list[tuple[str, str]], base: tuple[str | int, ...] = ()) -> list[FieldProblem]:
    """Turn the ledger's (dotted field path, reason) pairs into problems with JSON pointers under base."""
    found = []
    for field, reason in problems:
        parts: list[str | int] = [int(p) if p.isdigit() else p for p in field.split(".")] if field and field != "event" else []
        found.append(FieldProblem(pointer=pointer((*base, *parts)), field=field, reason=reason))
    return found


def problem_response(
    status: int, slug: str, title: str, detail: str, headers: Mapping[str, str] | None = None, **extra: Any
) -> JSONResponse:
    """Return a problem+json response; extra members are added beside the standard ones."""
    body: dict[str, Any] = {
        "type": TYPE_BASE + slug if slug else "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
    }
    body.update({key: value for key, value in extra.items() if value is not None})
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_JSON)


def ledger_error_response(error: LedgerError) -> JSONResponse:
    """Return the problem of a ledger error."""
    extra: dict[str, Any] = {}
    headers: dict[str, str] = {}
    if isinstance(error, VersionConflictError):
        extra["current_version"] = error.current
        headers["ETag"] = f'"{error.current}"'
    if isinstance(error, InvalidEventError):
        extra["problems"] = [p.model_dump() for p in field_problems(error.problems)]
    if isinstance(error, VerificationFailedError):
        extra.update(position=error.position, customer=error.customer, event_id=error.event_id)
    status = status_of(error)
    detail = str(error) if status != 503 else _service_detail(error)
    return problem_response(status, slug_of(type(error)), title_of(type(error)), detail, headers, **extra)


def _service_detail(error: LedgerError) -> str:
    """Say what is unavailable without the database's own words, which may name hosts and users."""
    if isinstance(error, ProjectionError):
        return str(error)
    logger.warning("service unavailable: %s", type(error).__name__)
    if isinstance(error, MasterKeyError):  # its message may name the key's file
        return "the ledger's master key is unavailable to the server; see docs/privacy.md"
    return "the ledger's database is unavailable; try again later"


def install_problem_handlers(app: FastAPI) -> None:
    """Answer every error of the app with a problem document."""

    @app.exception_handler(LedgerError)
    async def _ledger_error(_request: Request, error: LedgerError) -> JSONResponse:
        return ledger_error_response(error)

    @app.exception_handler(HttpProblemError)
    async def _api_problem(_request: Request, error: HttpProblemError) -> JSONResponse:
        return problem_response(error.status, error.slug, error.title, error.detail, error.headers, **error.extra)

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(_request: Request, error: RequestValidationError) -> JSONResponse:
        problems = [
            FieldProblem(
                pointer=pointer(item["loc"]),
                field=".".join(str(part) for part in item["loc"]),
                reason=str(item["msg"]),
            ).model_dump()
            for item in error.errors()
        ]
        detail = "; ".join(f"{p['field']}: {p['reason']}" for p in problems)
        return problem_response(400, "invalid-request", "Invalid request", detail, problems=problems)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_request: Request, error: StarletteHTTPException) -> JSONResponse:
        return problem_response(error.status_code, "", _http_title(error.status_code), str(error.detail), error.headers)

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, error: Exception) -> JSONResponse:
        logger.error("unexpected %s while answering a request", type(error).__name__, exc_info=error)
        return problem_response(500, "internal", "Internal error", "the server failed to answer; the error is logged")


def _http_title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
