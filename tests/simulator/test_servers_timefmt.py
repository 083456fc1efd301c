"""Time conversions of the simulator server (the help-desk fast path is checked against zoneinfo)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from source_simulator.servers.timefmt import (
    onec_datetime,
    parse_helpdesk_filter,
    parse_iso_filter,
    store_to_local_iso,
    zone,
)

ZONES = ["Europe/Moscow", "Asia/Novosibirsk", "Asia/Kolkata", "Europe/Berlin", "America/New_York"]


@settings(max_examples=300, deadline=None)
@given(ms=st.integers(min_value=0, max_value=30 * 365 * 86_400_000), tz_name=st.sampled_from(ZONES))
def test_help_desk_times_equal_zoneinfo(ms: int, tz_name: str) -> None:
    moment = datetime(2000, 1, 1, tzinfo=UTC) + timedelta(milliseconds=ms)
    text = moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    tz = zone(tz_name)
    assert store_to_local_iso(text, tz) == moment.astimezone(tz).isoformat(timespec="milliseconds")


def test_hand_checked_conversions() -> None:
    msk = zone("Europe/Moscow")
    assert store_to_local_iso("2026-03-15T15:05:17.568Z", msk) == "2026-03-15T18:05:17.568+03:00"
    assert store_to_local_iso("2026-12-31T22:30:00.000Z", msk) == "2027-01-01T01:30:00.000+03:00"
    assert store_to_local_iso(None, msk) is None
    assert parse_helpdesk_filter("01-01-2027 01:30", msk) == "2026-12-31T22:30:00.000Z"
    assert parse_iso_filter("2026-03-15T18:05:17.568+03:00", msk) == "2026-03-15T15:05:17.568Z"
    assert parse_iso_filter("2026-03-15T18:05:00", msk) == "2026-03-15T15:05:00.000Z"  # naive = company zone
    assert onec_datetime("2025-01-01") == "2025-01-01T00:00:00"
    assert onec_datetime(None) == "0001-01-01T00:00:00"
    with pytest.raises(ValueError):
        parse_helpdesk_filter("2026-03-15 18:05", msk)
