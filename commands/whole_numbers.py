"""Whole-number fields of the catalogue: ints or their decimal text, never booleans or floats, within 64 bits."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BeforeValidator, Field

_WHOLE_NUMBER_TEXT = re.compile(r"[+-]?[0-9]{1,19}")


def _whole_number(value: Any) -> Any:
    # pydantic's lax int reads True as 1 and 2.0 as 2; decimal text stays accepted for CSV cells.
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and _WHOLE_NUMBER_TEXT.fullmatch(value.strip()):
        return value
    shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
    raise ValueError(f"expected a whole number (an integer or its decimal text), got {shown}")


# Every integer field fits the 64-bit columns and encodings downstream; fields narrow the range further.
WholeNumber = Annotated[int, BeforeValidator(_whole_number), Field(ge=-(2**63), le=2**63 - 1)]
