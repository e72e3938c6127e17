"""Exchange rates as data: the latest rate on or before a day, and money converted with it (pure).

A rate is units of a currency per unit of the base currency (the ECB layout: units
per euro when the base is EUR). An amount moves from currency a to currency b on
a day as amount / rate(a) x rate(b), both the latest rates on or before that day;
the base currency's own rate is 1. Converted day totals are rounded half-even to
the target currency's minor units.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from decimal import ROUND_HALF_EVEN, Decimal

from commands.currencies import MINOR_UNITS
from commands.errors import ExitCode, LedgerError

ONE = Decimal(1)


class MissingRateError(LedgerError):
    """A figure needs an exchange rate the ledger does not have."""

    def __init__(self, currency: str, day: str):
        self.currency, self.day = currency, day
        super().__init__(f"no exchange rate for {currency} on or before {day}: import one with `ledger rates import`")


class UnknownCurrencyError(LedgerError):
    """A reporting currency asked for is not an ISO 4217 code the ledger knows."""

    exit_code = ExitCode.USAGE_ERROR

    def __init__(self, currency: str):
        super().__init__(f"unknown currency {currency!r}: expected an ISO 4217 code such as EUR")


class RateTable:
    """The rates of each currency by day, against one base currency."""

    def __init__(self, base: str, rates: Iterable[tuple[str, str, Decimal | str]], *, ordered: bool = False):
        """Index (ISO day, currency, rate) triples; a later triple of the same day and currency replaces an earlier one.

        ordered: the triples come by currency, then day (as the rates table is read), and need no sort.
        """
        self.base = base
        self._days: dict[str, list[str]] = {}
        self._rates: dict[str, list[Decimal | str]] = {}
        # A stable sort keeps the given order within a day.
        for day, currency, rate in rates if ordered else sorted(rates, key=lambda triple: (triple[1], triple[0])):
            days, values = self._days.setdefault(currency, []), self._rates.setdefault(currency, [])
            if days and days[-1] == day:
                values[-1] = rate
            else:
                days.append(day)
                values.append(rate)

    def rate(self, currency: str, day: str) -> Decimal:
        """Return the latest rate of a currency on or before a day (ISO text), or raise MissingRateError."""
        if currency == self.base:
            return ONE
        k = bisect_right(self._days.get(currency, ()), day)
        if not k:
            raise MissingRateError(currency, day)
        # Rates are parsed when asked for: a ranking converts on a few of the days a history holds.
        return Decimal(self._rates[currency][k - 1])

    def converter(self, target: str) -> Converter:
        """Return a converter of minor units into the target currency."""
        return Converter(self, target)


class Converter:
    """Convert amounts in minor units into one reporting currency, with the rate of each amount's day."""

    def __init__(self, rates: RateTable, target: str):
        if target not in MINOR_UNITS:
            raise UnknownCurrencyError(target)
        self.rates = rates
        self.target = target
        self._places = MINOR_UNITS[target]
        # (currency, day) -> factor from that currency's minor units to the target's: a ranking asks a few days often.
        self._factors: dict[tuple[str, str], Decimal] = {}

    def minor(self, amount: int, currency: str, day: str) -> int:
        """Return an amount in a currency's minor units on a day (ISO text) in the target's minor units."""
        if currency == self.target or not amount:
            return amount
        key = (currency, day)
        factor = self._factors.get(key)
        if factor is None:
            rates = self.rates
            to_target = rates.rate(self.target, day) / rates.rate(currency, day)
            factor = self._factors[key] = to_target.scaleb(self._places - MINOR_UNITS[currency])
        return int((amount * factor).to_integral_value(ROUND_HALF_EVEN))
