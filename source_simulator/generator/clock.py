"""Time helpers: the generator works in integer milliseconds since the epoch (UTC)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from warehouse.settings import COMPANY_TZ_DEFAULT

MS_MINUTE = 60_000
MS_HOUR = 3_600_000
MS_DAY = 86_400_000

COMPANY_TZ = COMPANY_TZ_DEFAULT  # the generated world's zone
_EPOCH = date(1970, 1, 1)


@lru_cache(maxsize=8192)
def _day_text(day_no: int) -> str:
    return (_EPOCH + timedelta(days=day_no)).isoformat()


_MINUTES = tuple(f"{m:02d}:" for m in range(60))
_SECONDS = tuple(f"{s // 1000:02d}.{s % 1000:03d}Z" for s in range(MS_MINUTE))


@lru_cache(maxsize=200_000)
def _hour_text(hour_no: int) -> str:
    day_no, h = divmod(hour_no, 24)
    return f"{_day_text(day_no)}T{h:02d}:"


def iso(ms: int | None) -> str | None:
    """UTC ISO-8601 text with milliseconds and ``Z`` (the store's timestamp format)."""
    if ms is None:
        return None
    return _hour_text(ms // MS_HOUR) + _MINUTES[ms // MS_MINUTE % 60] + _SECONDS[ms % MS_MINUTE]


def parse_iso(text: str) -> int:
    """Inverse of :func:`iso`; also accepts offsets and bare dates (as UTC midnight)."""
    if len(text) == 10:
        text += "T00:00:00+00:00"
    dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return int(dt.timestamp() * 1000)


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@lru_cache(maxsize=65536)
def _local_midnight_ms(day: date, tz: str) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=_zone(tz)).timestamp() * 1000)


def local_ms(day: date, tz: str, hours: float = 0.0) -> int:
    """The UTC ms of ``hours`` after local midnight of ``day`` in zone ``tz``.

    Russian zones have had no daylight saving since 2014, so adding hours to midnight is exact.
    """
    return _local_midnight_ms(day, tz) + int(round(hours * MS_HOUR))


def local_naive(ms: int, tz: str = COMPANY_TZ) -> str:
    """Company-local naive ISO datetime, as 1C writes ``Period`` and document dates."""
    dt = datetime.fromtimestamp(ms / 1000, UTC).astimezone(_zone(tz))
    return dt.replace(tzinfo=None, microsecond=0).isoformat()


def local_date(ms: int, tz: str = COMPANY_TZ) -> date:
    return datetime.fromtimestamp(ms / 1000, UTC).astimezone(_zone(tz)).date()


def days(start: date, end: date):
    """Dates from ``start`` inclusive to ``end`` exclusive."""
    d = start
    while d < end:
        yield d
        d += timedelta(days=1)


def add_months(day: date, months: int) -> date:
    y, m = divmod(day.month - 1 + months, 12)
    return date(day.year + y, m + 1, 1) if day.day == 1 else date(day.year + y, m + 1, day.day)
