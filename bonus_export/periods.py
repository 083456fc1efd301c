"""Periods are calendar months, written `YYYY-MM`; stored as the month's first day."""

from __future__ import annotations

import re
from datetime import date

_PERIOD = re.compile(r"^(\d{4})-(\d{2})$")


class BadPeriod(ValueError):
    pass


def parse_period(text: str) -> date:
    """`2026-03` -> date(2026, 3, 1); anything else is refused with what was expected."""
    m = _PERIOD.match(text.strip()) if isinstance(text, str) else None
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise BadPeriod(f"period must be YYYY-MM (e.g. 2026-03), got {text!r}")
    return date(int(m.group(1)), int(m.group(2)), 1)


def format_period(period_start: date) -> str:
    return f"{period_start.year:04d}-{period_start.month:02d}"
