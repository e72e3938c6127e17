"""Business-hours arithmetic across weekends, holidays and time zones, and SLA targets on a calendar."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from commands.errors import ConfigurationError
from ledger.config import load_config
from projections import sla
from projections.business_hours import Calendar, parse_calendar
from projections.sla import SlaSettings

WEEKDAYS = parse_calendar("Mon-Fri 09:00-18:00")
BERLIN = ZoneInfo("Europe/Berlin")


def _calendar(zone=UTC, holidays=()) -> Calendar:
    return Calendar(WEEKDAYS, frozenset(holidays), zone)


def _hours(calendar: Calendar, start: datetime, end: datetime) -> float:
    return calendar.between(start, end).total_seconds() / 3600


def test_a_weekend_adds_no_business_time():
    friday_5pm = datetime(2024, 5, 3, 17, tzinfo=UTC)
    monday_10am = datetime(2024, 5, 6, 10, tzinfo=UTC)
    assert _hours(_calendar(), friday_5pm, monday_10am) == 2.0  # Friday 17-18, Monday 09-10


def test_time_outside_opening_hours_counts_from_the_next_opening():
    evening = datetime(2024, 5, 6, 20, tzinfo=UTC)
    next_noon = datetime(2024, 5, 7, 12, tzinfo=UTC)
    assert _hours(_calendar(), evening, next_noon) == 3.0
    assert _hours(_calendar(), next_noon, evening) == 0.0  # end before start


def test_a_holiday_is_a_whole_day_off():
    monday = datetime(2024, 5, 6, 9, tzinfo=UTC)
    wednesday = datetime(2024, 5, 8, 9, tzinfo=UTC)
    assert _hours(_calendar(), monday, wednesday) == 18.0
    assert _hours(_calendar(holidays=[date(2024, 5, 7)]), monday, wednesday) == 9.0


def test_opening_hours_are_local_to_the_calendars_zone():
    # 08:00 UTC is 10:00 in Berlin in May (UTC+2): one hour after opening.
    start = datetime(2024, 5, 6, 7, tzinfo=UTC)
    end = datetime(2024, 5, 6, 8, tzinfo=UTC)
    assert _hours(_calendar(BERLIN), start, end) == 1.0
    assert _hours(_calendar(UTC), start, end) == 0.0
    # A whole Berlin business day is 9 hours on both sides of the spring change (Sunday 31 March).
    friday = datetime(2024, 3, 29, 0, tzinfo=BERLIN)
    tuesday = datetime(2024, 4, 2, 0, tzinfo=BERLIN)
    assert _hours(_calendar(BERLIN), friday, tuesday) == 18.0


def test_a_local_holiday_follows_the_zone():
    # 23:30 UTC on 6 May is already 7 May in Berlin, the holiday.
    calendar = _calendar(BERLIN, holidays=[date(2024, 5, 7)])
    assert _hours(calendar, datetime(2024, 5, 6, 23, 30, tzinfo=UTC), datetime(2024, 5, 8, 8, tzinfo=UTC)) == 1.0


def test_several_spans_and_the_length_of_a_business_day():
    spans = parse_calendar("Mon-Fri 09:00-17:00; Sat 10:00-14:00")
    assert [len(day) for day in spans] == [1, 1, 1, 1, 1, 1, 0]
    assert Calendar(spans, frozenset(), UTC).hours_per_day == pytest.approx((5 * 8 + 4) / 6)
    assert parse_calendar("Sun 00:00-24:00")[6] == parse_calendar("Sun 00:00-00:00")[6]


@pytest.mark.parametrize(
    "text",
    ["Mon-Fri", "Mon-Fry 09:00-18:00", "Fri-Mon 09:00-18:00", "Mon-Fri 18:00-09:00", "Mon-Fri 9-18"],
)
def test_a_wrong_calendar_is_refused_by_the_settings(text):
    with pytest.raises(ValidationError, match="business_hours"):
        SlaSettings.model_validate({"business_hours": text})


moments = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2024, 12, 31), timezones=st.just(UTC))


@given(moments, moments, moments)
def test_business_time_adds_up_and_never_exceeds_the_wall_clock(a, b, c):
    a, b, c = sorted((a, b, c))
    calendar = _calendar(BERLIN, holidays=[date(2024, 5, 1), date(2024, 12, 25)])
    assert calendar.between(a, c) == calendar.between(a, b) + calendar.between(b, c)
    assert calendar.between(a, c) <= c - a


def _complaint(filed: datetime, responded: datetime | None, resolved: datetime | None) -> dict:
    state = "resolved" if resolved else "open"
    return {"severity": "high", "filed_at": filed, "first_response_at": responded, "resolved_at": resolved, "state": state}


def test_sla_targets_count_business_hours_with_a_calendar():
    settings = SlaSettings(business_hours="Mon-Fri 09:00-18:00", holidays=[date(2024, 5, 6)])
    calendar = settings.calendar(UTC)
    assert calendar is not None
    filed = datetime(2024, 5, 3, 17, tzinfo=UTC)  # Friday 17:00; Monday is a holiday
    # High: 24 business hours to respond, 3 business days (27 h) to resolve.
    responded = datetime(2024, 5, 9, 14, tzinfo=UTC)  # 1 + 9 (Tue) + 9 (Wed) + 5 = 24 h
    outcome = sla.evaluate(_complaint(filed, responded, None), responded, settings, calendar)
    assert outcome.first_response_hours == 24.0 and outcome.response_met is True
    assert outcome.age_hours == pytest.approx((responded - filed).total_seconds() / 3600)  # age stays wall-clock
    waiting = sla.evaluate(_complaint(filed, None, None), responded, settings, calendar)
    assert waiting.response_met is None and not waiting.overdue  # unanswered, still within target
    overdue = sla.evaluate(_complaint(filed, None, None), responded + timedelta(minutes=1), settings, calendar)
    assert overdue.response_met is False and overdue.overdue
    resolved = datetime(2024, 5, 10, 9, 1, tzinfo=UTC)  # 27 h and 1 minute
    missed = sla.evaluate(_complaint(filed, responded, resolved), resolved, settings, calendar)
    assert missed.resolution_met is False
    # The same complaint on the wall clock: a week is far beyond 3 days.
    assert sla.evaluate(_complaint(filed, responded, resolved), resolved, SlaSettings()).response_met is False


def test_the_config_file_carries_the_calendar(tmp_path):
    path = tmp_path / "ledger.toml"
    path.write_text(
        '[sla]\nbusiness_hours = "Mon-Fri 09:00-18:00"\nholidays = [2024-12-25]\ntimezone = "Europe/Berlin"\n'
        "[satisfaction]\nmin_sample = 50\n",
        encoding="utf-8",
    )
    config = load_config(path, environ={})
    calendar = config.sla.calendar(config.ledger.tz)
    assert calendar is not None and calendar.holidays == {date(2024, 12, 25)} and calendar.zone == BERLIN
    assert config.satisfaction.min_sample == 50
    path.write_text('[sla]\nbusiness_hours = "Mon-Fri 9-18"\n', encoding="utf-8")
    with pytest.raises(ConfigurationError, match=r"sla\.business_hours"):
        load_config(path, environ={})
