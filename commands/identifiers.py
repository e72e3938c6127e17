"""Identifiers of a customer (an e-mail address, a phone number, a loyalty card...): their kinds and normal form.

Pure functions: the ledger normalises every identifier with them before it is indexed,
stored or looked up, so that ``Ann@Example.com `` and ``ann@example.com`` are one identifier.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import phonenumbers

from commands.errors import RuleViolationError

EMAIL, PHONE = "email", "phone"
BUILT_IN_KINDS = (EMAIL, PHONE, "wechat_openid", "loyalty_card", "national_id")
# A kind is a short lower-case name: a built-in one, or one configured ([identity] kinds), such as shopify.
KIND_PATTERN = r"^[a-z][a-z0-9_]{0,31}$"
MAX_VALUE = 320  # the longest e-mail address SMTP allows
# Values that name nobody in particular: placeholders that forms, call centres and exports fill in.
NOBODY_VALUES = frozenset({"", "null", "none", "nil", "n/a", "na", "anonymous", "unknown", "test", "undefined", "-"})
_ONLY_FILLER = re.compile(r"[\s0\-._+()/]*")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class InvalidIdentifierError(RuleViolationError):
    """An identifier's kind is not configured, or its value is not one of that kind (or means nobody)."""


def normalise(kind: str, value: str, *, default_region: str | None = None) -> str:
    """Return an identifier's normal form; raise InvalidIdentifierError if the value is not one of its kind.

    E-mail addresses are trimmed and lower-cased (no provider's own rules, such as Gmail's dots),
    phone numbers become E.164 (``+441632960961``; a number without a country code is read in
    default_region), and every other kind is trimmed.
    """
    text = value.strip()
    if kind == EMAIL:
        text = text.lower()
        if not _EMAIL.match(text):
            raise InvalidIdentifierError("value", f"not an e-mail address: {value!r}")
    elif kind == PHONE:
        text = _e164(value, default_region)
    if not text or len(text) > MAX_VALUE:
        raise InvalidIdentifierError("value", f"an identifier needs 1 to {MAX_VALUE} characters, got {len(text)}")
    return text


def _e164(value: str, default_region: str | None) -> str:
    try:
        number = phonenumbers.parse(value, default_region)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_possible_number(number):
        where = f" (read in region {default_region})" if default_region else " (no default region: give +country code)"
        raise InvalidIdentifierError("value", f"not a phone number{where}: {value!r}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def placeholders(values: Iterable[str]) -> frozenset[str]:
    """Return configured values that name nobody as ``means_nobody`` compares them (trimmed, lower-cased)."""
    return frozenset(v.strip().lower() for v in values)


def means_nobody(value: str, extra: frozenset[str] = frozenset()) -> bool:
    """Whether a value names nobody: empty, a placeholder (null, anonymous, unknown, or one of extra), all zeros or dashes."""
    text = value.strip().lower()
    if text in NOBODY_VALUES or text in extra:
        return True
    local = text.split("@", 1)[0]  # anonymous@example.com, 000@shop.test
    return _ONLY_FILLER.fullmatch(text) is not None or local in NOBODY_VALUES or _ONLY_FILLER.fullmatch(local) is not None


def check_linkable(
    kind: str, value: str, *, kinds: tuple[str, ...], default_region: str | None, nobody: frozenset[str] = frozenset()
) -> str:
    """Return the normal form of an identifier that may be linked; raise InvalidIdentifierError naming the value if not.

    nobody: the configured values that name nobody, as ``placeholders`` returns them.
    """
    known = kinds
    if kind not in known:
        raise InvalidIdentifierError("kind", f"unknown identifier kind {kind!r} (configured: {', '.join(known)})")
    if means_nobody(value, nobody):
        raise InvalidIdentifierError("value", f"{value!r} names nobody and is never linked")
    normal = normalise(kind, value, default_region=default_region)
    if means_nobody(normal, nobody):
        raise InvalidIdentifierError("value", f"{value!r} names nobody and is never linked")
    return normal


def split_identifier(text: str, kinds: tuple[str, ...]) -> tuple[str, str] | None:
    """Return (kind, value) of ``KIND:VALUE`` text whose kind is known, else None (the text is a customer key)."""
    kind, sep, value = text.partition(":")
    if not sep or kind not in kinds:
        return None
    return kind, value
