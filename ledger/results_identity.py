"""Results of the identity use cases: who holds an identifier, since when, and who held it before."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Holding:
    """One customer's holding of an identifier: from its link (time and log position) to its unlink, if any."""

    customer: str
    since: str
    since_position: int
    until: str | None = None
    until_position: int | None = None


@dataclass(frozen=True, slots=True)
class WhoIs:
    """Who held an identifier as of a moment (None: nobody), and every holding that had begun by then, oldest first."""

    kind: str
    holder: str | None
    since: str | None
    holdings: list[Holding] = field(default_factory=list)
