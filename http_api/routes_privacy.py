"""Personal data: a customer's consent per purpose, and erasure (crypto-shredding, with a receipt event)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from http_api import examples
from http_api.auth import require
from http_api.models import EraseIn
from http_api.routes_queries import AsOf, KnownAt, Reading, moment
from ledger import Ledger
from ledger.api_keys import ApiKey
from ledger.privacy.erasure import ErasureReceipt
from ledger.results_privacy import ConsentState

router = APIRouter(prefix="/v1", tags=["privacy"])
Administering = Annotated[ApiKey, Depends(require("admin"))]


@router.post(
    "/customers/{customer}/erase",
    response_model=ErasureReceipt,
    summary="Erase a customer's personal data",
    responses={
        **examples.ok(examples.ERASURE),
        404: examples.NOT_FOUND,
        409: examples.ALREADY_ERASED,
        **examples.AUTH_ERRORS,
    },
)
def erase(customer: str, body: EraseIn, key: Administering, request: Request) -> ErasureReceipt:
    """Destroy the customer's data key and append the `customer_erased` receipt (the key's name is its actor).

    Figures stay; personal fields read `[erased]` everywhere and verify still passes.
    Events stored in clear before encryption was configured are listed in `clear_events`.
    """
    ledger: Ledger = request.app.state.ledger
    return ledger.erase(customer, body.reason, actor=key.name, source=body.source or key.name)


@router.get(
    "/customers/{customer}/consent",
    response_model=ConsentState,
    summary="A customer's consent per purpose",
    responses={**examples.ok(examples.CONSENT), 404: examples.NOT_FOUND, **examples.READ_ERRORS},
)
def consent(customer: str, _key: Reading, request: Request, as_of: AsOf = None, known_at: KnownAt = None) -> ConsentState:
    """Return the consent per configured purpose (granted, withdrawn or none) with the event that set it, on a day."""
    ledger: Ledger = request.app.state.ledger
    return ledger.consent(customer, as_of=moment(ledger, as_of, "as_of"), known_at=moment(ledger, known_at, "known_at"))
