"""RFM scores by quintile, the segment map, VIPs, and the CLV summary (lifetimes / pymc-marketing input)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

import orjson

# The widely used R x F segment grid (R score, F score), with R1-F1 split out as "lost".
SEGMENT_MAP: dict[tuple[int, int], str] = {}
for _r, _f, _name in [
    ((1, 2), (1, 2), "hibernating"),
    ((1, 2), (3, 4), "at_risk"),
    ((1, 2), (5, 5), "cannot_lose"),
    ((3, 3), (1, 2), "about_to_sleep"),
    ((3, 3), (3, 3), "need_attention"),
    ((3, 4), (4, 5), "loyal"),
    ((4, 4), (1, 1), "promising"),
    ((5, 5), (1, 1), "new_customers"),
    ((4, 5), (2, 3), "potential_loyalists"),
    ((5, 5), (4, 5), "champions"),
]:
    for _rs in range(_r[0], _r[1] + 1):
        for _fs in range(_f[0], _f[1] + 1):
            SEGMENT_MAP[(_rs, _fs)] = _name
SEGMENT_MAP[(1, 1)] = "lost"
SEGMENTS = tuple(dict.fromkeys(sorted(SEGMENT_MAP.values())))


@dataclass(frozen=True, slots=True)
class RfmScore:
    """One customer's R, F and M scores, segment and VIP flag."""

    r: int
    f: int
    m: int
    segment: str
    vip: bool


def _cuts(ordered: list[int], *, higher_is_better: bool) -> tuple[int, ...]:
    """Return the four values a score must pass for 2, 3, 4 and 5.

    A score is 1 + 5 x (share of customers the value beats), rounded down, ties
    sharing a score: with b customers beaten, the score reaches s when
    b >= ceil((s - 1) n / 5), i.e. when the value beats the one ranked there.
    """
    n = len(ordered)
    ranks = [-(-(s - 1) * n // 5) for s in range(2, 6)]
    return tuple(ordered[k - 1] if higher_is_better else ordered[n - k] for k in ranks)


@dataclass(frozen=True, slots=True)
class Thresholds:
    """What decides every customer's R, F and M scores and VIP flag on a day: a few values, cheap to keep."""

    recency: tuple[int, ...]
    frequency: tuple[int, ...]
    monetary: tuple[int, ...]
    vip_spend: int

    @classmethod
    def of(cls, values: list[tuple[int, int, int]]) -> Thresholds | None:
        """Compute from every buyer's (recency days, purchase days, net spend) in the window; None without one.

        Only customers with a purchase day in the window are ranked: R, F and M are scored over the same customers.
        """
        values = [v for v in values if v[1]]
        if not values:
            return None
        recencies, frequencies, monetary = (sorted(column) for column in zip(*values, strict=True))
        # VIP: the top 20% by trailing spend, customers tied at the boundary all in.
        vip = monetary[len(monetary) - -(-len(monetary) // 5)]
        return cls(
            _cuts(recencies, higher_is_better=False),
            _cuts(frequencies, higher_is_better=True),
            _cuts(monetary, higher_is_better=True),
            vip,
        )

    def score(self, recency: int, frequency: int, spend: int) -> RfmScore:
        """Score one buyer; one without a purchase day in the window is lost (1, 1, 1), outside the ranking."""
        if not frequency:
            return LAPSED
        r = 1 + sum(recency < cut for cut in self.recency)
        f = 1 + sum(frequency > cut for cut in self.frequency)
        m = 1 + sum(spend > cut for cut in self.monetary)
        return RfmScore(r, f, m, SEGMENT_MAP[(r, f)], spend > 0 and spend >= self.vip_spend)

    def to_json(self) -> str:
        """Encode for the cache table."""
        return orjson.dumps([self.recency, self.frequency, self.monetary, self.vip_spend]).decode()

    @classmethod
    def from_json(cls, text: str) -> Thresholds:
        """Decode from the cache table."""
        recency, frequency, monetary, vip = orjson.loads(text)
        return cls(tuple(recency), tuple(frequency), tuple(monetary), vip)


LAPSED = RfmScore(1, 1, 1, "lost", False)


def score_all(values: dict[str, tuple[int, int, int]]) -> dict[str, RfmScore]:
    """Score customers with a purchase from (recency days, purchase days, net spend in minor units) in the window."""
    thresholds = Thresholds.of(list(values.values()))
    if thresholds is None:
        return {customer: LAPSED for customer in values}
    return {customer: thresholds.score(*v) for customer, v in values.items()}


@dataclass(frozen=True, slots=True)
class ClvSummary:
    """One row of ``export rfm``: frequency, recency, T and monetary value (major units of the base currency)."""

    frequency: Decimal
    recency: Decimal
    t: Decimal
    monetary_value: Decimal


def clv_summary(
    day_totals: list[tuple[date, int]], on: date, places: int, unit: Literal["days", "weeks"] = "days"
) -> ClvSummary | None:
    """Summarise purchase days up to a date (sorted (day, base-currency total) pairs); None without a purchase."""
    held = [(d, total) for d, total in day_totals if d <= on]
    if not held:
        return None
    frequency = len(held) - 1
    divisor = Decimal(7) if unit == "weeks" else Decimal(1)
    recency = Decimal((held[-1][0] - held[0][0]).days) / divisor
    t = Decimal((on - held[0][0]).days) / divisor
    repeat = sum(total for _, total in held[1:])
    monetary = Decimal(repeat).scaleb(-places) / frequency if frequency else Decimal(0)
    return ClvSummary(Decimal(frequency), recency, t, monetary)


def decimal_text(value: Decimal) -> str:
    """Print a value unrounded, with at least four decimals."""
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent > -4:
        value = value.quantize(Decimal("0.0001"))
    return f"{value:f}"


CLV_COLUMNS = ("customer", "frequency", "recency", "T", "monetary_value")


def clv_lines(rows: Iterable[dict[str, str]], file_format: Literal["csv", "jsonl"]) -> Iterator[bytes]:
    """Encode CLV summary rows (values as decimal text) as CSV with a header, or as JSON lines.

    JSON numbers are written as their exact decimal text: JSON allows it and nothing is rounded.
    """
    if file_format == "csv":
        yield (",".join(CLV_COLUMNS) + "\n").encode()
    for row in rows:
        customer = row["customer"]
        if file_format == "csv":
            if any(ch in customer for ch in ',"\n\r'):
                customer = '"' + customer.replace('"', '""') + '"'
            yield (",".join([customer, *(row[k] for k in CLV_COLUMNS[1:])]) + "\n").encode()
        else:
            fields = "".join(f',"{k}":{row[k]}' for k in CLV_COLUMNS[1:])
            yield b'{"customer":' + orjson.dumps(customer) + fields.encode() + b"}\n"
