"""Ground truth as of a clock: the rows every source serves at ``now``, one CSV per table.

Tests compare the warehouse with these. Rows are the versions valid at ``now``
(``valid_from <= now < valid_to``), without the store's bookkeeping columns (``row_id``,
``valid_from``, ``valid_to``), sorted by the table's key; NULL is written as an empty cell.
The registry's deliberately unreadable rows are listed in ``registry_expected_rejects.csv``.
"""

from __future__ import annotations

import csv
import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path

from source_simulator import store

SORT_KEYS: dict[str, tuple[str, ...]] = {
    "regions": ("id",), "teams": ("id",),
    "hd_employees": ("id",), "hd_companies": ("id",), "hd_sites": ("id",), "hd_equipment": ("id",),
    "hd_issues": ("id",), "hd_status_history": ("id",), "hd_time_entries": ("id",),
    "sch_shifts": ("id",),
    "onec_employees": ("ref_key",), "onec_clients": ("ref_key",), "onec_contracts": ("ref_key",),
    "onec_sales": ("ref_key",),
    "onec_bonus_coefficients": ("period", "code"), "onec_points": ("period", "work_type"),
    "onec_duty_tariffs": ("period", "shift_type"), "onec_service_tariffs": ("period", "work_type"),
    "reg_sites": ("site_code",), "reg_equipment": ("serial_number",),
}
BOOKKEEPING = ("row_id", "valid_from", "valid_to")


def resolve_now(conn: sqlite3.Connection, now: str | None) -> str:
    """The clock as store text (UTC ``...Z``); default ``meta.now``."""
    if now is None:
        return store.read_meta(conn)["now"]
    from source_simulator.generator.clock import iso, parse_iso

    return iso(parse_iso(now))  # type: ignore[return-value]


def iter_rows(conn: sqlite3.Connection, table: str, now: str) -> tuple[list[str], Iterator[tuple]]:
    """Column names and a cursor over the table's rows valid at ``now``, sorted by key."""
    cols = [r[1] for r in conn.execute(f"pragma table_info({table})") if r[1] not in BOOKKEEPING]
    order = ", ".join(f'"{k}" collate binary' for k in SORT_KEYS[table])
    where = f"where {store.as_of_clause()}" if table in store.VERSIONED_TABLES else ""
    sql = f"select {', '.join(cols)} from {table} {where} order by {order}"
    cur = conn.execute(sql, {"now": now})
    cur.row_factory = None
    return cols, cur


def table_rows(conn: sqlite3.Connection, table: str, now: str) -> tuple[list[str], list[tuple]]:
    cols, rows = iter_rows(conn, table, now)
    return cols, list(rows)


def truth_frames(world_path: str | Path, now: str | None = None) -> dict[str, list[dict]]:
    """``{table: [row dict, ...]}`` of every store table as of ``now`` (default: ``meta.now``),
    plus ``registry_expected_rejects``."""
    from source_simulator.registry_workbook import expected_rejects

    conn = store.connect(_world_file(world_path), readonly=True)
    try:
        clock = resolve_now(conn, now)
        frames: dict[str, list[dict]] = {}
        for table in SORT_KEYS:
            cols, rows = table_rows(conn, table, clock)
            frames[table] = [dict(zip(cols, r, strict=True)) for r in rows]
        frames["registry_expected_rejects"] = [r.as_dict() for r in expected_rejects(conn, clock)]
        return frames
    finally:
        conn.close()


def _cell(value: object) -> str:
    return "" if value is None else str(value)


def _write_csv(path: Path, cols: list[str], rows: Iterable[tuple]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(cols)
        for r in rows:
            w.writerow([_cell(v) for v in r])


def write_truth(world_path: str | Path, out: str | Path, now: str | None = None) -> list[Path]:
    """Write ``<table>.csv`` files into ``out``; returns the paths written."""
    from source_simulator.registry_workbook import expected_rejects

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    conn = store.connect(_world_file(world_path), readonly=True)
    written = []
    try:
        clock = resolve_now(conn, now)
        for table in SORT_KEYS:
            cols, rows = iter_rows(conn, table, clock)
            path = out / f"{table}.csv"
            _write_csv(path, cols, rows)
            written.append(path)
        rejects = expected_rejects(conn, clock)
        cols = ["sheet", "row_number", "column", "reason", "value"]
        path = out / "registry_expected_rejects.csv"
        _write_csv(path, cols, [tuple(r.as_dict()[c] for c in cols) for r in rejects])
        written.append(path)
        (out / "NOW").write_text(clock + "\n")
    finally:
        conn.close()
    return written


def _world_file(world_path: str | Path) -> Path:
    p = Path(world_path)
    return p / "world.sqlite" if p.is_dir() else p
