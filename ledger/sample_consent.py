"""Consent in the sample data: what customers agreed to at signup, and the few who later changed their mind."""

from __future__ import annotations

import random
from typing import Any

# (purpose, share of registered customers who grant it at signup)
SIGNUP_CONSENTS = [("marketing_email", 0.45), ("marketing_sms", 0.1), ("profiling", 0.15)]
WITHDRAWAL_SHARE = 0.15
TEXT_VERSION = "privacy-notice-v3"
DAY = 24 * 3600


def consent_drafts(consents: random.Random, signup: int, horizon: int) -> list[tuple[int, str, dict[str, Any]]]:
    """Grants just after signup and some withdrawals later, drawn from a generator of their own.

    Their own generator leaves every other figure of the sample as it was without consent.
    """
    drafts: list[tuple[int, str, dict[str, Any]]] = []
    for purpose, share in SIGNUP_CONSENTS:
        if consents.random() >= share:
            continue
        granted = signup + consents.randrange(1, 600)
        drafts.append((granted, "consent_granted", {"purpose": purpose, "source": "signup_form", "text_version": TEXT_VERSION}))
        if consents.random() < WITHDRAWAL_SHARE and granted + DAY < horizon:
            withdrawn = consents.randrange(granted + DAY, horizon)
            drafts.append((withdrawn, "consent_withdrawn", {"purpose": purpose, "source": "unsubscribe_link"}))
    return drafts
