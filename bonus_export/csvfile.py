"""The payroll CSV: UTF-8 with BOM, `;`, fixed header, formula-injection-safe cells."""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from bonus_export.periods import format_period

HEADER = ("personnel_no", "full_name", "period", "amount_rub", "approved_by", "approved_at", "calc_hash")
# A spreadsheet treats a cell beginning with one of these as a formula (or mangles it).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class PayrollRow:
    personnel_no: str
    full_name: str
    period_start: date
    amount_rub: Decimal
    approved_by: str
    approved_at: datetime
    calc_hash: str


def neutralise(cell: str) -> str:
    """Prefix `'` to a cell a spreadsheet would read as a formula."""
    return "'" + cell if cell.startswith(FORMULA_PREFIXES) else cell


def money(amount: Decimal) -> str:
    """`1234.5` -> `1234.50`: a dot and exactly two decimals, no thousands separator."""
    return str(Decimal(amount).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def control_total(rows: Iterable[PayrollRow]) -> Decimal:
    return sum((Decimal(money(r.amount_rub)) for r in rows), Decimal("0.00")).quantize(Decimal("0.01"))


def render(rows: Iterable[PayrollRow], zone: ZoneInfo) -> bytes:
    """The file's bytes (deterministic: the same rows give the same bytes and sha256)."""
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(HEADER)
    for r in rows:
        cells = (
            r.personnel_no,
            r.full_name,
            format_period(r.period_start),
            money(r.amount_rub),
            r.approved_by,
            r.approved_at.astimezone(zone).isoformat(timespec="seconds"),
            r.calc_hash,
        )
        writer.writerow([neutralise(c) for c in cells])
    return buf.getvalue().encode("utf-8-sig")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
