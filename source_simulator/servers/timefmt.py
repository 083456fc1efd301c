"""Time formats: the store keeps UTC text (``2026-03-15T15:05:17.568Z``); each source shows
time its own way (help desk: offset + milliseconds in the account zone; 1C: naive local;
schedule: UTC ISO as stored)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

ONEC_EMPTY_DATE = "0001-01-01T00:00:00"


def parse_utc(text: str) -> datetime:
    """Store text (``...Z``) or any ISO text with an offset -> aware UTC datetime."""
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def to_store(value: datetime) -> str:
    """Aware datetime -> store text (UTC, milliseconds, ``Z``)."""
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r}: a time zone is required")
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@lru_cache(maxsize=16)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@lru_cache(maxsize=1 << 17)
def _local_hour(tz_key: str, utc_hour: str) -> tuple[str, str] | None:
    """For one UTC hour (``YYYY-MM-DDTHH``): the local hour text and the offset text, or None
    when the zone's offset is not whole hours (then minutes change too: slow path)."""
    local = datetime.fromisoformat(f"{utc_hour}:00:00+00:00").astimezone(zone(tz_key))
    offset = local.utcoffset()
    if offset is None or offset.total_seconds() % 3600:
        return None
    text = local.isoformat()
    return text[:13], text[19:]


def store_to_local_iso(text: str | None, tz: ZoneInfo) -> str | None:
    """``2026-03-15T15:05:17.568Z`` -> ``2026-03-15T18:05:17.568+03:00`` (help-desk style).

    Hot path of every help-desk page: whole-hour offsets are looked up once per UTC hour and
    the minutes, seconds and milliseconds are copied as they are."""
    if text is None:
        return None
    if len(text) == 24 and text[23] == "Z":
        hour = _local_hour(tz.key, text[:13])
        if hour is not None:
            return f"{hour[0]}{text[13:23]}{hour[1]}"
    return parse_utc(text).astimezone(tz).isoformat(timespec="milliseconds")


def parse_helpdesk_filter(text: str, tz: ZoneInfo) -> str:
    """``DD-MM-YYYY HH:MM`` in the account zone -> store text. Raises ValueError."""
    local = datetime.strptime(text.strip(), "%d-%m-%Y %H:%M").replace(tzinfo=tz)
    return to_store(local)


def parse_iso_filter(text: str, tz: ZoneInfo) -> str:
    """ISO 8601 (offset or ``Z``; naive = company zone) -> store text. Raises ValueError."""
    value = datetime.fromisoformat(text.strip())
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return to_store(value)


def onec_datetime(text: str | None) -> str:
    """Store date/naive datetime text -> 1C ``YYYY-MM-DDTHH:MM:SS`` (empty date when None)."""
    if not text:
        return ONEC_EMPTY_DATE
    if len(text) == 10:
        return f"{text}T00:00:00"
    return datetime.fromisoformat(text).replace(microsecond=0, tzinfo=None).isoformat()


def add_days(text: str, days: float) -> str:
    return to_store(parse_utc(text) + timedelta(days=days))
