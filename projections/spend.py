"""Net spend from a profile's purchase days, in one reporting currency, as of a day (pure).

A day entry is ``[day, currency, paid, refunded, purchases, [[refund_day, minor], ...]]``
with refunds counted on their order's purchase day. Net spend in a window is the
window's purchases minus the refunds of those purchases made by the as-of day, so a
late refund lowers the window its order fell in, never a later one, and a window's
net spend is never negative. Each entry is converted with the rate of its (purchase) day.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from projections.rates import Converter

RFM_WINDOW_DAYS = 365


def net_on(entry: list[Any], on: str) -> int:
    """Return a day entry's net amount (its own currency) as of a day: refunds made after it are left out."""
    net: int = entry[2] - entry[3]
    if entry[5]:
        net += sum(minor for refund_day, minor in entry[5] if refund_day > on)
    return net


def rfm_input(days: list[list[Any]], on: date, convert: Converter) -> tuple[int, int, int] | None:
    """Return (recency days, purchase days, net spend) in the trailing RFM window; None without a purchase by then.

    One window for all three: a customer whose last purchase is before it has 0
    purchase days in it (scored as lost, outside the ranking).
    """
    today, since = on.isoformat(), (on - timedelta(days=RFM_WINDOW_DAYS)).isoformat()
    last, frequency, spend, target = "", 0, 0, convert.target
    # Entries are sorted by day, then currency: one day's entries are adjacent.
    for entry in days:
        d = entry[0]
        if d > today:
            break
        if d > since:
            if entry[4] and d != last:
                frequency += 1
            net = net_on(entry, today)
            spend += net if entry[1] == target else convert.minor(net, entry[1], d)
        if entry[4]:
            last = d
    if not last:
        return None
    return (on - date.fromisoformat(last)).days, frequency, spend


def spend_history(days: list[list[Any]], convert: Converter) -> tuple[list[tuple[date, int]], list[tuple[date, date, int]]]:
    """Return (purchase day, net spend with every refund made) and (purchase day, refund day, refund) for the lifecycle."""
    spend: list[tuple[date, int]] = []
    refunds: list[tuple[date, date, int]] = []
    for d, currency, paid, refunded, _, made in days:
        on = date.fromisoformat(d)
        spend.append((on, convert.minor(paid - refunded, currency, d)))
        refunds.extend((on, date.fromisoformat(refund_day), convert.minor(minor, currency, d)) for refund_day, minor in made)
    return spend, refunds
