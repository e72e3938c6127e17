"""How personal values read when they are not asked for: enough to recognise, too little to use."""

from __future__ import annotations

MASK = "***"
ERASED = "[erased]"


def mask(field: str, value: object) -> str:
    """Return a masked form of a personal value: ``j***@example.com`` for an email, ``***67`` for a phone, else ``J***``."""
    name = field.rsplit(".", 1)[-1]
    text = str(value)
    if name == "email" and "@" in text:
        local, _, domain = text.partition("@")
        return f"{local[:1]}{MASK}@{domain}"
    if name == "phone":
        digits = [c for c in text if c.isdigit()]
        return MASK + "".join(digits[-2:])
    if name == "name":
        return " ".join(f"{word[:1]}{MASK}" for word in text.split()) or MASK
    return MASK
