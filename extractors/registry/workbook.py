"""Reading the managers' registry workbook: find the header, clean the cells, reject what stays unreadable.

Pure functions over openpyxl; no database, no HTTP. Tolerated untidiness (docs/rules.md
"Registry workbook"): title rows above the header, blank rows and cells, decimal commas, Excel serial or
`ДД.ММ.ГГГГ` dates, codes with spaces. A row that still cannot be read becomes a `RowReject`
naming the sheet, row number, column and reason.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

Kind = Literal["code", "text", "decimal", "date", "inn", "personnel_no"]


@dataclass(frozen=True)
class ColumnSpec:
    header: str
    kind: Kind
    required: bool = False


@dataclass(frozen=True)
class SheetSpec:
    sheet: str
    table: str
    key_header: str
    key_column: str  # raw table key column name
    columns: tuple[ColumnSpec, ...]


SITES = SheetSpec(
    "Объекты", "sites", "Код объекта", "site_code",
    (
        ColumnSpec("Код объекта", "code", required=True),
        ColumnSpec("ИНН клиента", "inn"),
        ColumnSpec("Название", "text"),
        ColumnSpec("Адрес", "text"),
        ColumnSpec("Регион", "text"),
        ColumnSpec("Широта", "decimal"),
        ColumnSpec("Долгота", "decimal"),
        ColumnSpec("Площадь, м2", "decimal"),
        ColumnSpec("Табельный № инженера", "personnel_no"),
    ),
)
EQUIPMENT = SheetSpec(
    "Оборудование", "equipment", "Серийный №", "serial_number",
    (
        ColumnSpec("Серийный №", "code", required=True),
        ColumnSpec("Код объекта", "code"),
        ColumnSpec("Тип", "text"),
        ColumnSpec("Производитель", "text"),
        ColumnSpec("Модель", "text"),
        ColumnSpec("Дата ввода", "date"),
        ColumnSpec("Табельный № инженера", "personnel_no"),
    ),
)
SHEETS = (SITES, EQUIPMENT)


class CellError(ValueError):
    pass


@dataclass
class RegistryRow:
    key: str
    payload: dict[str, Any]  # {header: cleaned value, "_sheet": ..., "_row": ...}


@dataclass
class RowReject:
    sheet: str
    row_number: int
    column_name: str | None
    reason: str
    raw: dict[str, Any]
    key: str | None = None


@dataclass
class SheetResult:
    spec: SheetSpec
    rows: list[RegistryRow] = field(default_factory=list)
    rejects: list[RowReject] = field(default_factory=list)
    header_row: int | None = None


def norm_header(value: Any) -> str:
    return re.sub(r"\s+", " ", str(value or "")).strip().rstrip(":").casefold()


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = re.sub(r"\s+", " ", str(value)).strip()
    return text or None


def clean_code(value: Any) -> str | None:
    """Codes and serial numbers: every space dropped (`' MSK 001 '` -> `MSK001`)."""
    text = _text(value)
    return re.sub(r"\s+", "", text) if text else None


def clean_decimal(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise CellError(f"expected a number, got {value!r}")
    if isinstance(value, int | float | Decimal):
        return str(Decimal(str(value)).normalize()) if value == value else None
    text = re.sub(r"[\s\u00a0]", "", str(value)).replace(",", ".")
    if not text:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise CellError(f"expected a number (decimal comma or point), got {value!r}") from None
    if not number.is_finite():
        raise CellError(f"expected a number, got {value!r}")
    return str(number.normalize())


EXCEL_EPOCH = date(1899, 12, 30)


def clean_date(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int | float) and not isinstance(value, bool):
        if 1 <= value < 2958466:  # Excel serial day numbers up to 9999-12-31
            return (EXCEL_EPOCH + timedelta(days=int(value))).isoformat()
        raise CellError(f"expected a date, got the number {value!r}")
    text = str(value).strip()
    if not text:
        return None
    if re.fullmatch(r"\d+(\.0+)?", text):
        return clean_date(float(text))
    for fmt in ("%d.%m.%Y", "%Y-%m-%d", "%d.%m.%y", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, fmt).date().isoformat()
        except ValueError:
            continue
    try:
        return datetime.fromisoformat(text).date().isoformat()
    except ValueError:
        pass
    raise CellError(f"expected a date (ДД.ММ.ГГГГ or an Excel date), got {value!r}")


def clean_inn(value: Any) -> str | None:
    text = clean_code(value)
    if text is None:
        return None
    if not re.fullmatch(r"\d{10}|\d{12}", text):
        raise CellError(f"expected an INN of 10 or 12 digits, got {value!r}")
    return text


def clean_personnel_no(value: Any) -> str | None:
    return clean_code(value)


CLEANERS = {
    "code": clean_code, "text": _text, "decimal": clean_decimal, "date": clean_date,
    "inn": clean_inn, "personnel_no": clean_personnel_no,
}


def _json_cell(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def find_header(rows: list[tuple[Any, ...]], spec: SheetSpec, search_rows: int) -> tuple[int, dict[str, int]] | None:
    """(0-based row index, {header: column index}) of the first row naming the key column."""
    wanted = {norm_header(c.header): c.header for c in spec.columns}
    for i, row in enumerate(rows[:search_rows]):
        found = {wanted[norm_header(v)]: j for j, v in enumerate(row) if norm_header(v) in wanted}
        if spec.key_header in found and len(found) >= 2:
            return i, found
    return None


def read_sheet(values: Iterable[tuple[Any, ...]], spec: SheetSpec, search_rows: int = 30) -> SheetResult:
    rows = [tuple(r) for r in values]
    result = SheetResult(spec)
    located = find_header(rows, spec, search_rows)
    if located is None:
        raise ValueError(
            f"registry workbook, sheet '{spec.sheet}': no header row naming '{spec.key_header}' and another"
            f" expected column in the first {search_rows} rows"
        )
    header_idx, columns = located
    result.header_row = header_idx + 1
    missing = [c.header for c in spec.columns if c.header not in columns]
    first_seen: dict[str, int] = {}
    for i in range(header_idx + 1, len(rows)):
        row = rows[i]
        row_number = i + 1
        cells = {h: row[j] for h, j in columns.items() if j < len(row)}
        raw = {h: _json_cell(v) for h, v in cells.items()}
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in cells.values()):
            continue  # blank row
        payload: dict[str, Any] = {}
        problems: list[tuple[str, str]] = []
        for col in spec.columns:
            if col.header in missing:
                payload[col.header] = None
                continue
            try:
                value = CLEANERS[col.kind](cells.get(col.header))
            except CellError as exc:
                problems.append((col.header, str(exc)))
                continue
            if value is None and col.required:
                problems.append((col.header, "the key is blank"))
            payload[col.header] = value
        key = payload.get(spec.key_header)
        if not problems and key in first_seen:
            problems.append((spec.key_header, f"'{key}' is already on row {first_seen[key]}"))
        if problems:
            reason = "; ".join(f"column '{c}': {r}" for c, r in problems)
            result.rejects.append(RowReject(
                spec.sheet, row_number, problems[0][0],
                f"sheet '{spec.sheet}', row {row_number}: {reason}", raw, key if isinstance(key, str) else None))
            continue
        assert isinstance(key, str)
        first_seen[key] = row_number
        result.rows.append(RegistryRow(key, {**payload, "_sheet": spec.sheet, "_row": row_number}))
    return result


def read_workbook(data: bytes, spec: SheetSpec, search_rows: int = 30) -> SheetResult:
    """One sheet of the workbook; a missing sheet or header is an error for the whole load."""
    # late: openpyxl (and numpy under it) is a third of `import extractors.run`, which every
    # spawned extraction process pays, while a nightly with an unchanged workbook never opens one
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken file
        raise ValueError(f"the registry workbook cannot be opened as xlsx: {type(exc).__name__}: {exc}") from exc
    try:
        by_name = {norm_header(n): n for n in wb.sheetnames}
        name = by_name.get(norm_header(spec.sheet))
        if name is None:
            raise ValueError(f"the registry workbook has no sheet '{spec.sheet}' (it has: {', '.join(wb.sheetnames)})")
        return read_sheet(wb[name].iter_rows(values_only=True), spec, search_rows)
    finally:
        wb.close()
