"""The payroll CSV: UTF-8 with BOM, `;`, fixed header, formula-injection-safe text cells.

`kind` is `bonus` (the first payment of an engineer's bonus for a period) or `adjustment`
(a signed difference against what earlier batches paid; `corrects_batch` names the latest
of them). Amounts are numbers, negative ones included: only text cells are escaped.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal
from zoneinfo import ZoneInfo

from bonus_export.periods import format_period

HEADER = ("personnel_no", "full_name", "period", "kind", "amount_rub", "corrects_batch", "approved_by",
          "approved_at", "calc_hash")
# A spreadsheet treats a cell beginning with one of these as a formula (or mangles it).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

Kind = Literal["bonus", "adjustment"]


@dataclass(frozen=True)
class PayrollRow:
    personnel_no: str
    full_name: str
    period_start: date
    kind: Kind
    amount_rub: Decimal
    corrects_batch: int | None  # set for an adjustment only
    approved_by: str  # who took the decision this row carries out (an approval or a rejection)
    approved_at: datetime
    calc_hash: str


def neutralise(cell: str) -> str:
    """Prefix `'` to a text cell a spreadsheet would read as a formula."""
    return "'" + cell if cell.startswith(FORMULA_PREFIXES) else cell


def money(amount: Decimal) -> str:
    """`1234.5` -> `1234.50`, `-0.5` -> `-0.50`: a dot and exactly two decimals, no thousands separator."""
    return str(Decimal(amount).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def control_total(rows: Iterable[PayrollRow]) -> Decimal:
    return sum((Decimal(money(r.amount_rub)) for r in rows), Decimal("0.00")).quantize(Decimal("0.01"))


def cells(r: PayrollRow, zone: ZoneInfo) -> list[str]:
    """One row's cells: text escaped, numbers (amount, batch) and our own formats left as they are."""
    return [
        neutralise(r.personnel_no),
        neutralise(r.full_name),
        format_period(r.period_start),
        neutralise(r.kind),
        money(r.amount_rub),
        "" if r.corrects_batch is None else str(int(r.corrects_batch)),
        neutralise(r.approved_by),
        r.approved_at.astimezone(zone).isoformat(timespec="seconds"),
        neutralise(r.calc_hash),
    ]


def render(rows: Iterable[PayrollRow], zone: ZoneInfo) -> bytes:
    """The file's bytes (deterministic: the same rows give the same bytes and sha256)."""
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(HEADER)
    for r in rows:
        writer.writerow(cells(r, zone))
    return buf.getvalue().encode("utf-8-sig")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
