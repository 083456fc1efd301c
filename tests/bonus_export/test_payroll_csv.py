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
amounts = st.decimals(min_value=Decimal("-9999999.99"), max_value=Decimal("9999999.99"), places=2)


def parse(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))


@given(name=text, by=text, amount=amounts)
def test_any_name_round_trips_and_only_numbers_may_start_with_a_minus(name: str, by: str, amount: Decimal) -> None:
    row = PayrollRow("E1", name, date(2026, 3, 1), "adjustment", amount, 17, by,
                     datetime(2026, 4, 2, 7, 15, tzinfo=UTC), "a" * 64)
    [header, cells] = parse(render([row], MOSCOW))
    assert tuple(header) == HEADER
    assert cells[1] == ("'" + name if name.startswith(FORMULA_PREFIXES) else name)
    assert cells[6] == ("'" + by if by.startswith(FORMULA_PREFIXES) else by)
    text_cells = [c for i, c in enumerate(cells) if HEADER[i] not in ("amount_rub", "corrects_batch")]
    assert not any(c.startswith(FORMULA_PREFIXES) for c in text_cells)
    assert cells[2:6] == ["2026-03", "adjustment", money(amount), "17"]
    assert Decimal(cells[4]) == amount, "the amount stays a number a spreadsheet adds up, negatives included"
    assert cells[7] == "2026-04-02T10:15:00+03:00"


def test_a_bonus_row_corrects_no_batch_and_a_negative_amount_is_not_escaped() -> None:
    rows = [PayrollRow("E1", "Иванов", date(2026, 3, 1), "bonus", Decimal("2511.87"), None, "manager",
                       datetime(2026, 4, 2, 7, 15, tzinfo=UTC), "b" * 64),
            PayrollRow("E1", "Иванов", date(2026, 3, 1), "adjustment", Decimal("-2511.87"), 4, "=admin",
                       datetime(2026, 4, 3, 7, 15, tzinfo=UTC), "b" * 64)]
    lines = render(rows, MOSCOW).decode("utf-8-sig").split("\r\n")
    assert lines[0] == "personnel_no;full_name;period;kind;amount_rub;corrects_batch;approved_by;approved_at;calc_hash"
    assert lines[1] == f"E1;Иванов;2026-03;bonus;2511.87;;manager;2026-04-02T10:15:00+03:00;{'b' * 64}"
    assert lines[2] == f"E1;Иванов;2026-03;adjustment;-2511.87;4;'=admin;2026-04-03T10:15:00+03:00;{'b' * 64}"


def test_money_has_a_dot_and_two_decimals_and_the_control_total_adds_rounded_rows() -> None:
    assert [money(Decimal(v)) for v in ("0", "1234.5", "0.005", "-722.625", "1000000")] == [
        "0.00", "1234.50", "0.01", "-722.63", "1000000.00"]
    rows = [PayrollRow("E", "", date(2026, 3, 1), "adjustment", Decimal(v), 1, "m",
                       datetime(2026, 4, 1, tzinfo=UTC), "h")
            for v in ("0.10", "-0.20", "2511.87")]
    assert control_total(rows) == Decimal("2511.77")
