"""The JSON output reference, docs/output.md, generated from the result types the commands print.

Regenerate it with ``python -m cli_commands.output_reference > docs/output.md`` (``make docs``);
a test fails when the file and the result types differ, so the documented field names are the
printed ones.
"""

from __future__ import annotations

import importlib
import inspect
import re
import sys
import types
import typing
from dataclasses import fields, is_dataclass
from typing import Any

REGENERATE = "python -m cli_commands.output_reference > docs/output.md"

# Each command that prints data, and what one JSON line of it is: a result type (module:Name) or its own fields.
COMMANDS: tuple[tuple[str, str | dict[str, str]], ...] = (
    ("append", "ledger.results:Receipt"),
    ("import", "ledger.results:LineProblem"),
    ("import (its last line)", {"stored": "integer", "duplicates": "integer", "rejected": "integer"}),
    ("timeline, log", "commands.records:RecordedEvent"),
    ("profile", "ledger.results:CustomerProfile"),
    ("customers", "ledger.results:CustomerSummary"),
    ("trends", "ledger.results:TrendRow"),
    ("complaints", "ledger.results:ComplaintSummary"),
    ("cohorts", "ledger.results_analytics:CohortRow"),
    ("projections status", "ledger.results:ProjectionStatus"),
    ("projections rebuild", "ledger.results:RebuildResult"),
    ("projections run", {"applied": "integer"}),
    ("verify", "ledger.audit.verify:VerificationReport"),
    ("digest", "ledger.audit.digest:DigestDocument"),
    ("void, correct", "ledger.results:Receipt"),
    ("export rfm", "ledger.results:ClvRow"),
    ("rates import", "ledger.results:RatesImport"),
    ("erase", "ledger.results_privacy:ErasureReceipt"),
    ("consent", "ledger.results_privacy:ConsentState"),
    ("restrict, unrestrict", "ledger.results_privacy:PrivacyReceipt"),
)
JSON_TYPES = {"str": "string", "int": "integer", "float": "number", "bool": "boolean", "NoneType": "null", "Decimal": "string"}
INTRO = """# JSON output

Generated from the result types by `{regenerate}` (`make docs`); do not edit by hand.

With `--format json` (or `--json`) a command prints one JSON object per line on stdout, and
nothing else there; messages go to stderr. The field names below are stable: a field may be
added, none is renamed or removed without a new major version. Amounts of money are decimal
text (`"19.90"`), never floats; times are ISO 8601 text in UTC; `null` means none (no purchase
yet, no answer). CSV (`--format csv`) has the same fields as its header row, nested values as
JSON. `export events` writes the audit format of [audit.md](audit.md).
"""


def reference() -> str:
    """Return the Markdown reference: one section per command, a row per field."""
    sections = [INTRO.format(regenerate=REGENERATE)]
    for commands, shape in COMMANDS:
        command_names, _, remark = commands.partition(" (")
        names = ", ".join(f"`ledger {command}`" for command in command_names.split(", ")) + (f" ({remark}" if remark else "")
        if isinstance(shape, dict):
            rows, about = list(shape.items()), ""
        else:
            row_type = resolve(shape)
            rows, about = json_fields(row_type), f"`{row_type.__name__}`: {first_line(row_type.__doc__)}\n\n"
        table = "\n".join(f"| `{name}` | {kind} |" for name, kind in rows)
        sections.append(f"## {names}\n\n{about}| field | JSON type |\n|---|---|\n{table}\n")
    return "\n".join(sections)


def resolve(topic: str) -> type:
    """Import ``module:Name``."""
    module_name, _, name = topic.partition(":")
    found: type = getattr(importlib.import_module(module_name), name)
    return found


def json_fields(row_type: type) -> list[tuple[str, str]]:
    """Return the JSON object's fields of a result type, with their JSON types, in the order they are printed."""
    hints = typing.get_type_hints(row_type)
    if hasattr(row_type, "to_json_dict"):
        names = _json_dict_keys(row_type)
    elif is_dataclass(row_type):
        names = [f.name for f in fields(row_type)]
    else:
        names = list(row_type.model_fields)  # type: ignore[attr-defined]
    return [(name, json_type(hints.get(name) or _property_type(row_type, name))) for name in names]


def _property_type(row_type: type, name: str) -> Any:
    found = getattr(row_type, name, None)
    return typing.get_type_hints(found.fget).get("return", Any) if isinstance(found, property) else Any


def _json_dict_keys(row_type: type) -> list[str]:
    # A to_json_dict form lists its keys in its source: the order they are printed in.
    return re.findall(r'^\s+"(\w+)":', inspect.getsource(row_type.to_json_dict), re.MULTILINE)  # type: ignore[attr-defined]


def json_type(hint: Any) -> str:
    """Return how a Python annotation is written in JSON: string, integer, number, boolean, object, array, or null."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(dict.fromkeys(json_type(arg) for arg in typing.get_args(hint)))
    if origin is typing.Literal:
        return "string"
    if origin in (list, tuple) or hint in (list, tuple):
        return "array"
    if origin is dict or hint is dict or (isinstance(hint, type) and (is_dataclass(hint) or hasattr(hint, "model_fields"))):
        return "object"
    name = getattr(hint, "__name__", str(hint))
    return JSON_TYPES.get(name, "object" if name == "Any" else "string")


def first_line(text: str | None) -> str:
    """Return the first line of a docstring."""
    return (text or "").strip().splitlines()[0] if text else ""


if __name__ == "__main__":
    sys.stdout.write(reference())
