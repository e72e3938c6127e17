"""What makes raw input unsafe to validate, and pydantic's errors as (field, reason) pairs people can read."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

# Deeper JSON is refused before validation: recursive code (pydantic, hashing, encoding) must never meet it.
MAX_NESTING = 16
# How much of an offending value an error message quotes.
QUOTE_LENGTH = 60


def quote(value: Any) -> str:
    """Return a value as an error message quotes it: its repr, cut to QUOTE_LENGTH characters."""
    text = repr(value)
    return text if len(text) <= QUOTE_LENGTH else text[: QUOTE_LENGTH - 3] + "..."


def value_problems(value: Any, path: str = "") -> list[tuple[str, str]]:
    """Return what makes raw input unsafe to validate or store: bytes, NUL characters, nesting beyond MAX_NESTING."""
    if type(value) is dict and _is_plain(value, 0):  # the common case, in a fraction of the full walk's time
        return []
    return _problems(value, path, 0)


def _is_plain(container: dict[Any, Any] | list[Any] | tuple[Any, ...], depth: int) -> bool:
    """Whether a container is JSON-like all through: plain str keys and texts without NUL, within MAX_NESTING."""
    if depth >= MAX_NESTING:
        return False
    items = container.items() if type(container) is dict else enumerate(container)
    for key, item in items:
        if type(key) is str and "\x00" in key:
            return False
        kind = type(item)
        if kind is str:
            if "\x00" in item:
                return False
        elif kind is dict or kind is list or kind is tuple:
            if not _is_plain(item, depth + 1):
                return False
        elif isinstance(item, str | dict | list | tuple | bytes | bytearray | memoryview):  # subclasses, bytes
            return False
    return True


def _problems(value: Any, path: str, depth: int) -> list[tuple[str, str]]:
    if isinstance(value, str):
        return [(path or "event", "contains a NUL character (\\u0000)")] if "\x00" in value else []
    if isinstance(value, dict | list | tuple):
        if depth >= MAX_NESTING:
            return [(path or "event", f"nested deeper than {MAX_NESTING} levels")]
        problems: list[tuple[str, str]] = []
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            if isinstance(key, str) and "\x00" in key:
                problems.append((path or "event", f"a key contains a NUL character: {quote(key)}"))
            else:
                problems.extend(_problems(item, f"{path}.{key}" if path else str(key), depth + 1))
        return problems
    if isinstance(value, bytes | bytearray | memoryview):
        return [(path or "event", "bytes are not accepted: pass text (str)")]
    return []


_MESSAGES = {
    "missing": "missing",
    "extra_forbidden": "unknown field",
}


def pydantic_problems(error: ValidationError, prefix: str = "") -> list[tuple[str, str]]:
    """Turn a pydantic error into (field path, reason) pairs people can read, quoting the offending value."""
    problems = []
    for item in error.errors(include_url=False):
        path = ".".join(str(part) for part in (prefix, *item["loc"]) if part != "")
        reason = _MESSAGES.get(item["type"]) or item["msg"].removeprefix("Value error, ")
        value = item.get("input")
        if item["type"] not in _MESSAGES and isinstance(value, str | int | float) and quote(value) not in reason:
            reason = f"{reason} (got {quote(value)})"
        problems.append((path or prefix or "event", reason))
    return problems
