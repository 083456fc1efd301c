"""Periods: calendar months in the company time zone."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo


def period_of(moment: datetime, tz: str) -> date:
    local = moment.astimezone(ZoneInfo(tz))
    return date(local.year, local.month, 1)


def period_last_moment(period: date, tz: str) -> datetime:
    """The last microsecond of the month, in the company zone."""
    nxt = date(period.year + (period.month == 12), period.month % 12 + 1, 1)
    return datetime(nxt.year, nxt.month, 1, tzinfo=ZoneInfo(tz)) - timedelta(microseconds=1)
