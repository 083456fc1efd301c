"""ISO weeks (Monday start) and the Russian public-holiday regressor for weekly data.

A holiday affects the week that contains it, so the weekly model gets one regressor: the
number of Russian non-working days (public holidays and the government's transferred days
off, as the `holidays` package lists them for RU) that fall on a Monday-to-Friday of the
week. Weekend holidays cost no working day and count 0; the New Year week counts up to 5.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
import pandas as pd

HOLIDAY_REGRESSOR = "holiday_workdays"


def week_start(day: date) -> date:
    """The Monday of `day`'s ISO week."""
    return day - timedelta(days=day.weekday())


def last_complete_week(as_of: datetime, zone: ZoneInfo) -> date:
    """The Monday of the last week that ended at or before `as_of` (in the company zone)."""
    if as_of.tzinfo is None:
        raise ValueError(f"as_of {as_of!r} has no time zone; give an aware timestamp")
    local = as_of.astimezone(zone)
    return week_start(local.date()) - timedelta(days=7)


def first_complete_week(first_day: date) -> date:
    """The first week fully covered by data that starts on `first_day` (local date)."""
    monday = week_start(first_day)
    return monday if monday == first_day else monday + timedelta(days=7)


@lru_cache(maxsize=256)
def _holidays(country: str, year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays(country, years=[year]).keys())


def _ru_holidays(year: int) -> frozenset[date]:
    return _holidays("RU", year)


def holiday_workdays(monday: date, country: str = "RU") -> int:
    """Non-working days (RU: Russian) on Monday..Friday of the week starting `monday`."""
    days = [monday + timedelta(days=i) for i in range(5)]
    return sum(1 for d in days if d in _holidays(country, d.year))


def holiday_frame(mondays: Iterable[date | pd.Timestamp], country: str = "RU") -> pd.Series:
    """The regressor for a run of weeks, indexed like `mondays`."""
    index = pd.DatetimeIndex([pd.Timestamp(m) for m in mondays])
    return pd.Series([holiday_workdays(ts.date(), country) for ts in index], index=index, name=HOLIDAY_REGRESSOR)


def weeks_after(monday: date, n: int) -> list[date]:
    return [monday + timedelta(days=7 * (i + 1)) for i in range(n)]
