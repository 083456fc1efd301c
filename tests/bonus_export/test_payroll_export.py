"""The payroll export against real PostgreSQL: exactly once, stale and rejected never, crash-safe."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
from payroll_fixtures import Line, add_engineer, set_bonus

import warehouse
from bonus_export import approvals
from bonus_export.export import export
from bonus_export.settings import Settings

HEADER = "personnel_no;full_name;period;amount_rub;approved_by;approved_at;calc_hash"
MARCH = date(2026, 3, 1)


class Crash(Exception):
    pass


def decide(url: str, personnel_no: str, period_start: date, decision: str = "approved",
           by: str = "manager", comment: str = "") -> int:
    with warehouse.connect(url, autocommit=True) as conn:
        (seen,) = conn.execute(
            "select calc_hash from marts.mart_bonus_summary where personnel_no = %s and period_start = %s",
            (personnel_no, period_start),
        ).fetchone()
        return approvals.decide(conn, period_start=period_start, personnel_no=personnel_no,
                                decision=decision, seen_calc_hash=seen, decided_by=by, comment=comment)


def run_export(settings: Settings, **kw):
    with warehouse.connect(settings.warehouse_url, autocommit=True) as conn:
        return export(conn, settings, **kw)


def csv_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("approved_bonuses_*.csv"))


def read_csv(path: Path) -> list[list[str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "the CSV must start with the UTF-8 BOM"
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""), delimiter=";"))


def query(url: str, sql: str, *args):
    with warehouse.connect(url) as conn:
        return conn.execute(sql, args).fetchall()


def seed_two(url: str) -> tuple[str, str]:
    add_engineer(url, "E001", "Иванов Иван Иванович")
    add_engineer(url, "E002", "Петров Пётр")
    h1 = set_bonus(url, "E001", "2026-03", [
        Line("ticket_points", "ticket:101", "1234.50", 101, "8.23", "Заявка 101"),
        Line("duty_shift", "shift:aa", "2000.00"),
        Line("repeat_penalty", "ticket:150", "-722.63", 99),
    ])
    h2 = set_bonus(url, "E002", "2026-03", [Line("ticket_points", "ticket:102", "0.10", 102)])
    return h1, h2


def test_approve_export_then_rerun_exports_nothing(payroll_settings: Settings) -> None:
    url = payroll_settings.warehouse_url
    h1, h2 = seed_two(url)
    decide(url, "E001", MARCH)
    decide(url, "E002", MARCH)

    report = run_export(payroll_settings, period_start=MARCH)
    out = payroll_settings.payroll_export_dir
    [batch] = report.exported
    assert batch.row_count == 2
    assert csv_files(out) == [out / f"approved_bonuses_2026-03_{batch.batch_id}.csv"]

    rows = read_csv(batch.csv_path)
    assert ";".join(rows[0]) == HEADER
    # Hand-computed: 1234.50 + 2000.00 - 722.63 = 2511.87; plus 0.10 -> control total 2511.97.
    assert [r[:5] for r in rows[1:]] == [
        ["E001", "Иванов Иван Иванович", "2026-03", "2511.87", "manager"],
        ["E002", "Петров Пётр", "2026-03", "0.10", "manager"],
    ]
    assert [r[6] for r in rows[1:]] == [h1, h2]
    assert all(r[5].endswith("+03:00") for r in rows[1:]), "approved_at is in the company time zone"
    assert sum(Decimal(r[3]) for r in rows[1:]) == Decimal("2511.97")

    manifest = json.loads(batch.manifest_path.read_text(encoding="utf-8"))
    assert manifest["row_count"] == 2
    assert manifest["control_total"] == "2511.97"
    assert manifest["sha256"] == hashlib.sha256(batch.csv_path.read_bytes()).hexdigest()
    assert manifest["supersedes"] == []

    again = run_export(payroll_settings, period_start=MARCH)
    assert again.exported == []
    assert "nothing new to export" in again.summary()
    assert csv_files(out) == [batch.csv_path]
    assert query(url, "select count(*) from payroll.export_batches") == [(1,)]
    assert query(url, "select count(*) from payroll.exported_lines") == [(2,)]


def test_stale_approval_is_not_exported_until_approved_again(payroll_settings: Settings) -> None:
    url = payroll_settings.warehouse_url
    seed_two(url)
    decide(url, "E001", MARCH)
    # The data changes after the approval: a late ticket adds a line.
    new_hash = set_bonus(url, "E001", "2026-03", [
        Line("ticket_points", "ticket:101", "1234.50", 101),
        Line("duty_shift", "shift:aa", "2000.00"),
        Line("repeat_penalty", "ticket:150", "-722.63", 99),
        Line("ticket_points", "ticket:103", "300.00", 103),
    ])
    with warehouse.connect(url) as conn:
        [row] = approvals.bonus_rows(conn, MARCH, "E001")
    assert row.status == "stale"
    assert row.approved_amount_rub == Decimal("2511.87"), "the approved money is kept as approved"

    stale_run = run_export(payroll_settings)
    assert stale_run.exported == [] and stale_run.stale == 1
    assert "stale" in stale_run.summary()
    assert csv_files(payroll_settings.payroll_export_dir) == []

    decide(url, "E001", MARCH, by="admin")
    report = run_export(payroll_settings)
    [batch] = report.exported
    rows = read_csv(batch.csv_path)
    assert rows[1][:5] == ["E001", "Иванов Иван Иванович", "2026-03", "2811.87", "admin"]
    assert rows[1][6] == new_hash


def test_exported_bonus_changed_and_reapproved_goes_out_as_a_new_batch(payroll_settings: Settings) -> None:
    url = payroll_settings.warehouse_url
    seed_two(url)
    decide(url, "E002", MARCH)
    [first] = run_export(payroll_settings).exported
    set_bonus(url, "E002", "2026-03", [Line("ticket_points", "ticket:102", "0.10", 102),
                                       Line("duty_shift", "shift:bb", "1500.00")])
    assert run_export(payroll_settings).exported == []  # stale
    decide(url, "E002", MARCH)
    [second] = run_export(payroll_settings).exported
    assert second.batch_id > first.batch_id
    assert read_csv(second.csv_path)[1][3] == "1500.10"
    manifest = json.loads(second.manifest_path.read_text(encoding="utf-8"))
    assert manifest["supersedes"] == [{
        "personnel_no": "E002", "batch_id": first.batch_id, "file": first.csv_path.name,
        "amount_rub": "0.10", "calc_hash": read_csv(first.csv_path)[1][6],
    }]
    # Approving the same calculation once more never pays it twice.
    decide(url, "E002", MARCH, by="admin", comment="ещё раз")
    assert run_export(payroll_settings).exported == []


def test_rejected_bonus_is_never_exported(payroll_settings: Settings) -> None:
    url = payroll_settings.warehouse_url
    seed_two(url)
    decide(url, "E001", MARCH, "rejected", comment="штраф не учтён")
    decide(url, "E002", MARCH)
    decide(url, "E002", MARCH, "rejected", comment="передумал")  # approve, then reject
    report = run_export(payroll_settings)
    assert report.exported == []
    assert csv_files(payroll_settings.payroll_export_dir) == []
    assert query(url, "select decision from payroll.approval_log order by log_id") == [
        ("rejected",), ("approved",), ("rejected",)]


def test_rejection_needs_a_comment_and_a_changed_bonus_is_refused(payroll_settings: Settings) -> None:
    url = payroll_settings.warehouse_url
    h1, _ = seed_two(url)
    with pytest.raises(approvals.DecisionRefused, match="comment"):
        decide(url, "E001", MARCH, "rejected")
    set_bonus(url, "E001", "2026-03", [Line("duty_shift", "shift:aa", "2000.00")])
    with warehouse.connect(url, autocommit=True) as conn, pytest.raises(approvals.DecisionRefused) as err:
        approvals.decide(conn, period_start=MARCH, personnel_no="E001", decision="approved",
                         seen_calc_hash=h1, decided_by="manager")
    assert err.value.status == 409
    assert query(url, "select count(*) from payroll.approval_log") == [(0,)]


def test_crash_before_commit_leaves_no_batch(payroll_settings: Settings) -> None:
    url = payroll_settings.warehouse_url
    seed_two(url)
    decide(url, "E001", MARCH)
    decide(url, "E002", MARCH)

    def crash(point: str) -> None:
        if point == "files_written":  # the files are written, the transaction not yet committed
            raise Crash(point)

    with pytest.raises(Crash):
        run_export(payroll_settings, fault=crash)
    out = payroll_settings.payroll_export_dir
    assert query(url, "select count(*) from payroll.export_batches") == [(0,)]
    assert query(url, "select count(*) from payroll.exported_lines") == [(0,)]
    assert list(out.iterdir()) == [], "no file of the failed batch is left behind"

    [batch] = run_export(payroll_settings).exported
    assert batch.row_count == 2
    assert len(read_csv(batch.csv_path)) == 3


def test_hard_crash_before_commit_leftovers_are_cleaned(payroll_settings: Settings) -> None:
    """A killed process cannot clean up: its temporary file is removed by the next run."""
    url = payroll_settings.warehouse_url
    seed_two(url)
    decide(url, "E001", MARCH)
    out = payroll_settings.payroll_export_dir
    out.mkdir(parents=True)
    (out / ".approved_bonuses_2026-03_1.csv.tmp").write_bytes(b"half a fi")
    [batch] = run_export(payroll_settings).exported
    assert sorted(p.name for p in out.iterdir()) == [batch.csv_path.name, batch.manifest_path.name]


def test_crash_after_commit_is_recovered_by_the_next_run(payroll_settings: Settings) -> None:
    url = payroll_settings.warehouse_url
    seed_two(url)
    decide(url, "E001", MARCH)

    def crash(point: str) -> None:
        if point == "committed":  # the batch is committed, the file not yet under its name
            raise Crash(point)

    with pytest.raises(Crash):
        run_export(payroll_settings, fault=crash)
    out = payroll_settings.payroll_export_dir
    assert csv_files(out) == []
    [(batch_id, sha, delivered)] = query(url, "select batch_id, sha256, delivered_at from payroll.export_batches")
    assert delivered is None

    report = run_export(payroll_settings)
    assert report.exported == []
    [recovered] = report.recovered
    assert recovered.batch_id == batch_id
    assert hashlib.sha256(recovered.csv_path.read_bytes()).hexdigest() == sha
    assert read_csv(recovered.csv_path)[1][:4] == ["E001", "Иванов Иван Иванович", "2026-03", "2511.87"]
    assert query(url, "select count(*) from payroll.exported_lines") == [(1,)]
    assert query(url, "select count(*) from payroll.export_batches where delivered_at is not null") == [(1,)]
    assert run_export(payroll_settings).recovered == []


def test_formula_injection_cells_are_neutralised(payroll_settings: Settings) -> None:
    url = payroll_settings.warehouse_url
    names = {
        "F1": '=HYPERLINK("http://evil.example","клик")',
        "F2": "+79161234567",
        "F3": "-2+3",
        "F4": "@SUM(A1:A2)",
        "F5": "\tТабуляция",
        "F6": "\rВозврат",
        "F7": "Обычное; имя с \"кавычками\"",
    }
    for no, name in names.items():
        add_engineer(url, no, name)
        set_bonus(url, no, "2026-04", [Line("duty_shift", f"shift:{no}", "100.00")])
        decide(url, no, date(2026, 4, 1))
    [batch] = run_export(payroll_settings, period_start=date(2026, 4, 1)).exported
    got = {r[0]: r[1] for r in read_csv(batch.csv_path)[1:]}
    assert got == {
        "F1": "'" + names["F1"], "F2": "'+79161234567", "F3": "'-2+3", "F4": "'@SUM(A1:A2)",
        "F5": "'\tТабуляция", "F6": "'\rВозврат", "F7": names["F7"],
    }


def test_without_period_every_period_gets_its_own_batch(payroll_settings: Settings) -> None:
    url = payroll_settings.warehouse_url
    add_engineer(url, "E001", "Иванов Иван Иванович")
    for period in ("2026-01", "2026-02"):
        set_bonus(url, "E001", period, [Line("duty_shift", f"shift:{period}", "10.00")])
        decide(url, "E001", date.fromisoformat(period + "-01"))
    report = run_export(payroll_settings)
    assert [b.period for b in report.exported] == ["2026-01", "2026-02"]
    assert [p.name.rsplit("_", 1)[0] for p in csv_files(payroll_settings.payroll_export_dir)] == [
        "approved_bonuses_2026-01", "approved_bonuses_2026-02"]


def test_approval_log_is_append_only(payroll_settings: Settings) -> None:
    url = payroll_settings.warehouse_url
    seed_two(url)
    decide(url, "E001", MARCH)
    for sql in ("update payroll.approval_log set amount_rub = 1",
                "delete from payroll.approval_log",
                "truncate payroll.approval_log cascade"):
        with warehouse.connect(url) as conn, pytest.raises(psycopg.errors.RaiseException, match="append-only"):
            conn.execute(sql)
    assert query(url, "select decided_by, amount_rub from payroll.approval_log") == [
        ("manager", Decimal("2511.87"))]


def test_concurrent_exports_export_each_approval_once(payroll_settings: Settings) -> None:
    """The Dagster sensor's run and a clerk's CLI run at the same moment: one batch, not two."""
    from concurrent.futures import ThreadPoolExecutor

    url = payroll_settings.warehouse_url
    seed_two(url)
    decide(url, "E001", MARCH)
    decide(url, "E002", MARCH)
    with ThreadPoolExecutor(max_workers=4) as pool:
        reports = list(pool.map(lambda _: run_export(payroll_settings), range(4)))
    assert sorted(len(r.exported) for r in reports) == [0, 0, 0, 1]
    assert len(csv_files(payroll_settings.payroll_export_dir)) == 1
    assert query(url, "select count(*) from payroll.exported_lines") == [(2,)]
