"""The rows of the trends: survey figures with their sampling error, complaint and buyer figures per period."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal

from commands.currencies import MINOR_UNITS
from ledger.config import LedgerSettings
from ledger.results import TrendRow
from projections import metrics, survey_stats
from projections.cohorts import Activity, shift_period
from projections.survey_stats import Estimate, SatisfactionSettings

Key = tuple[str, str]
BASE_CURRENCY: str = LedgerSettings().currency
ESTIMATORS: dict[str, Callable[[Mapping[int, int]], Estimate | None]] = {
    "nps": survey_stats.nps,
    "csat": survey_stats.csat,
    "ces": survey_stats.ces,
}


def trend_rows(
    buckets: metrics.Buckets,
    activity: dict[Key, Activity] | None = None,
    *,
    settings: SatisfactionSettings | None = None,
    currency: str = BASE_CURRENCY,
    last_period: str | None = None,
) -> list[TrendRow]:
    """Return one row per period (and split value) of the buckets and of the buyer activity (up to last_period), in order.

    Split by channel, the buyer figures are the period's (orders have no complaint channel):
    each channel's row shows them, and its complaint rate is per 1,000 orders of the period.
    """
    f, activity, settings = buckets.filter, activity or {}, settings or SatisfactionSettings()
    by_channel = f.split == "channel"
    keys = set(buckets)
    if not by_channel:
        keys |= {
            key
            for key, a in activity.items()
            if (last_period is None or key[0] <= last_period) and (a.orders or a.buyers or a.revenue)
        }
    estimates = {key: _estimates(b) for key, b in buckets.items()}
    rows = []
    for key in sorted(keys):
        period, value = key
        bucket = buckets.get(key) or metrics.Bucket()
        found = estimates.get(key) or _estimates(bucket)
        before = estimates.get((shift_period(period, f.by, -1), value), {})
        buyers = activity.get((period, "" if by_channel else value)) or Activity()
        rows.append(_row(key, f.split, bucket, found, before, buyers, settings, currency))
    return rows


def _estimates(b: metrics.Bucket) -> dict[str, Estimate | None]:
    return {kind: estimate(b.scores[kind]) for kind, estimate in ESTIMATORS.items()}


def _row(
    key: Key,
    split: str | None,
    b: metrics.Bucket,
    now: dict[str, Estimate | None],
    before: dict[str, Estimate | None],
    a: Activity,
    settings: SatisfactionSettings,
    currency: str,
) -> TrendRow:
    period, value = key
    survey: dict[str, object] = {}
    for kind in ESTIMATORS:
        e, previous = now[kind], before.get(kind)
        survey[kind] = None if e is None else e.value
        survey[f"{kind}_answers"] = b.scores[kind].total()
        survey[f"{kind}_margin"] = None if e is None else e.margin
        survey[f"{kind}_small_sample"] = survey_stats.small_sample(b.scores[kind].total(), settings)
        survey[f"{kind}_change"] = None if e is None or previous is None else e.value - previous.value
        survey[f"{kind}_change_significant"] = survey_stats.significant_change(previous, e, settings)
    return TrendRow(
        period=period,
        **survey,  # type: ignore[arg-type]
        surveys_sent=b.sent,
        response_rate=b.responded / b.sent if b.sent else None,
        expectation=b.expectation.value,
        perceived_quality=b.quality.value,
        perceived_value=b.value.value,
        quality_minus_expectation=b.quality_gap.value,
        complaints_filed=b.filed,
        complaints_resolved=b.resolved,
        complaints_per_1000_orders=1000 * b.filed / a.orders if a.orders else None,
        median_first_response_hours=b.median_first_response_hours,
        median_resolution_hours=b.median_resolution_hours,
        orders=a.orders,
        revenue=f"{Decimal(a.revenue).scaleb(-MINOR_UNITS[currency]):f}",
        currency=currency,
        buyers=a.buyers,
        repeat_purchase_rate=a.repeat_buyers / a.buyers if a.buyers else None,
        churn_rate=a.lapsed / a.previous_buyers if a.previous_buyers else None,
        channel=value if split == "channel" else None,
        segment=value if split == "segment" else None,
    )
