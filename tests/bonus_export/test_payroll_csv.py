"""The CSV format rules, property-tested: any text survives a round trip, nothing reads as a formula."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from bonus_export.csvfile import FORMULA_PREFIXES, HEADER, PayrollRow, control_total, money, render

MOSCOW = ZoneInfo("Europe/Moscow")
text = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=30)


def parse(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))


@given(name=text, by=text)
def test_any_name_round_trips_and_never_starts_a_formula(name: str, by: str) -> None:
    row = PayrollRow("E1", name, date(2026, 3, 1), Decimal("10.5"), by,
                     datetime(2026, 4, 2, 7, 15, tzinfo=UTC), "a" * 64)
    [header, cells] = parse(render([row], MOSCOW))
    assert tuple(header) == HEADER
    assert cells[1] == ("'" + name if name.startswith(FORMULA_PREFIXES) else name)
    assert cells[4] == ("'" + by if by.startswith(FORMULA_PREFIXES) else by)
    assert not any(c.startswith(FORMULA_PREFIXES) for c in cells)
    assert cells[2:4] == ["2026-03", "10.50"]
    assert cells[5] == "2026-04-02T10:15:00+03:00"


def test_money_has_a_dot_and_two_decimals_and_the_control_total_adds_rounded_rows() -> None:
    assert [money(Decimal(v)) for v in ("0", "1234.5", "0.005", "-722.625", "1000000")] == [
        "0.00", "1234.50", "0.01", "-722.63", "1000000.00"]
    rows = [PayrollRow("E", "", date(2026, 3, 1), Decimal(v), "m", datetime(2026, 4, 1, tzinfo=UTC), "h")
            for v in ("0.10", "0.20", "2511.87")]
    assert control_total(rows) == Decimal("2512.17")
