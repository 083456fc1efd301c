"""calc_hash of docs/rules.md: sha256 over `line_kind|source_event_id|amount` rows."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from decimal import Decimal

from bonus_reference.lines import BonusLine


def money_text(amount: Decimal) -> str:
    """A plain decimal with two places, as PostgreSQL prints numeric(14,2): `-722.63`, `0.00`."""
    q = amount.quantize(Decimal("0.01"))
    if q == 0:
        q = Decimal("0.00")  # no negative zero in PostgreSQL
    return f"{q:f}"


def calc_hash(lines: Iterable[BonusLine]) -> str:
    rows = sorted(
        (ln.line_kind, ln.source_event_id, money_text(ln.amount_rub)) for ln in lines
    )
    text = "\n".join(f"{k}|{e}|{a}" for k, e, a in rows)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
