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

HEADER = "personnel_no;full_name;period;kind;amount_rub;corrects_batch;approved_by;approved_at;calc_hash"
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
    assert [r[:7] for r in rows[1:]] == [
        ["E001", "Иванов Иван Иванович", "2026-03", "bonus", "2511.87", "", "manager"],
        ["E002", "Петров Пётр", "2026-03", "bonus", "0.10", "", "manager"],
    ]
    assert [r[8] for r in rows[1:]] == [h1, h2]
    assert all(r[7].endswith("+03:00") for r in rows[1:]), "approved_at is in the company time zone"
    assert sum(Decimal(r[4]) for r in rows[1:]) == Decimal("2511.97")

    manifest = json.loads(batch.manifest_path.read_text(encoding="utf-8"))
    assert manifest["row_count"] == 2
    assert manifest["control_total"] == "2511.97"
    assert manifest["sha256"] == hashlib.sha256(batch.csv_path.read_bytes()).hexdigest()
    assert manifest["adjustments"] == []

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
    assert rows[1][:7] == ["E001", "Иванов Иван Иванович", "2026-03", "bonus", "2811.87", "", "admin"]
    assert rows[1][8] == new_hash


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
    [(batch_id, sha)] = query(url, "select batch_id, sha256 from payroll.export_batches")
    assert query(url, "select count(*) from payroll.batch_deliveries") == [(0,)], "committed, not delivered"

    report = run_export(payroll_settings)
    assert report.exported == []
    [recovered] = report.recovered
    assert recovered.batch_id == batch_id
    assert hashlib.sha256(recovered.csv_path.read_bytes()).hexdigest() == sha
    assert read_csv(recovered.csv_path)[1][:5] == ["E001", "Иванов Иван Иванович", "2026-03", "bonus", "2511.87"]
    assert query(url, "select count(*) from payroll.exported_lines") == [(1,)]
    assert query(url, "select batch_id from payroll.batch_deliveries") == [(batch_id,)]
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


# ---------------------------------------------------------------- adjustments, never second payments
LATE_FACT = [  # E001's March after a late ticket: 2511.87 + 300.00 = 2811.87
    Line("ticket_points", "ticket:101", "1234.50", 101),
    Line("duty_shift", "shift:aa", "2000.00"),
    Line("repeat_penalty", "ticket:150", "-722.63", 99),
    Line("ticket_points", "ticket:103", "300.00", 103),
]


def paid_by_files(folder: Path) -> dict[tuple[str, str], Decimal]:
    """What payroll pays after importing every CSV once, in batch order."""
    paid: dict[tuple[str, str], Decimal] = {}
    for path in sorted(csv_files(folder), key=lambda p: int(p.stem.rsplit("_", 1)[1])):
        for r in read_csv(path)[1:]:
            paid[(r[0], r[2])] = paid.get((r[0], r[2]), Decimal("0")) + Decimal(r[4])
    return paid


def approved_now(url: str) -> dict[tuple[str, str], Decimal]:
    """The currently approved amount per engineer and period (a rejection approves zero)."""
    rows = query(url, "select personnel_no, to_char(period_start, 'YYYY-MM'), "
                      "case when status = 'approved' then amount_rub else 0 end from payroll.bonus_approvals")
    return {(n, p): a for n, p, a in rows}


def test_late_fact_after_export_exports_only_the_difference(payroll_settings: Settings) -> None:
    url = payroll_settings.warehouse_url
    out = payroll_settings.payroll_export_dir
    seed_two(url)
    decide(url, "E001", MARCH)
    decide(url, "E002", MARCH)
    [first] = run_export(payroll_settings).exported

    new_hash = set_bonus(url, "E001", "2026-03", LATE_FACT)
    stale_run = run_export(payroll_settings)
    assert stale_run.exported == [] and stale_run.stale == 1

    decide(url, "E001", MARCH, by="admin")
    [second] = run_export(payroll_settings).exported
    assert read_csv(second.csv_path)[1:] == [[
        "E001", "Иванов Иван Иванович", "2026-03", "adjustment", "300.00", str(first.batch_id), "admin",
        read_csv(second.csv_path)[1][7], new_hash,
    ]], "only the difference 2811.87 - 2511.87 = 300.00, against the first batch"
    assert second.control_total == Decimal("300.00") and second.adjustments == 1
    manifest = json.loads(second.manifest_path.read_text(encoding="utf-8"))
    assert manifest["columns"] == HEADER.split(";")
    assert manifest["adjustments"] == [{
        "personnel_no": "E001", "amount_rub": "300.00", "corrects_batch": first.batch_id,
        "corrects_file": first.csv_path.name, "decision": "approved",
        "paid_before_rub": "2511.87", "paid_after_rub": "2811.87",
    }]

    # Approving the same calculation once more pays nothing more.
    decide(url, "E001", MARCH, by="manager", comment="ещё раз")
    assert run_export(payroll_settings).exported == []
    assert paid_by_files(out) == {("E001", "2026-03"): Decimal("2811.87"), ("E002", "2026-03"): Decimal("0.10")}
    assert paid_by_files(out) == approved_now(url)


def test_lower_bonus_after_export_writes_a_negative_adjustment(payroll_settings: Settings) -> None:
    url = payroll_settings.warehouse_url
    seed_two(url)
    decide(url, "E001", MARCH)
    [first] = run_export(payroll_settings).exported
    # The duty shift was entered by mistake: 1234.50 - 722.63 = 511.87, i.e. 2000.00 less.
    set_bonus(url, "E001", "2026-03", [Line("ticket_points", "ticket:101", "1234.50", 101),
                                       Line("repeat_penalty", "ticket:150", "-722.63", 99)])
    decide(url, "E001", MARCH)
    [second] = run_export(payroll_settings).exported
    [row] = read_csv(second.csv_path)[1:]
    assert row[3:6] == ["adjustment", "-2000.00", str(first.batch_id)], "a number, not the text '-2000.00"
    assert second.control_total == Decimal("-2000.00")
    assert paid_by_files(payroll_settings.payroll_export_dir) == {("E001", "2026-03"): Decimal("511.87")}


def test_rejection_after_export_writes_the_negative_of_what_was_paid(payroll_settings: Settings) -> None:
    url = payroll_settings.warehouse_url
    out = payroll_settings.payroll_export_dir
    h1, _ = seed_two(url)
    decide(url, "E001", MARCH)
    [first] = run_export(payroll_settings).exported

    decide(url, "E001", MARCH, "rejected", by="admin", comment="смена не подтверждена")
    [recall] = run_export(payroll_settings).exported
    [row] = read_csv(recall.csv_path)[1:]
    assert row[:7] == ["E001", "Иванов Иван Иванович", "2026-03", "adjustment", "-2511.87",
                       str(first.batch_id), "admin"]
    assert row[8] == h1
    assert json.loads(recall.manifest_path.read_text(encoding="utf-8"))["adjustments"] == [{
        "personnel_no": "E001", "amount_rub": "-2511.87", "corrects_batch": first.batch_id,
        "corrects_file": first.csv_path.name, "decision": "rejected",
        "paid_before_rub": "2511.87", "paid_after_rub": "0.00",
    }]
    assert run_export(payroll_settings).exported == [], "the recall goes out once"
    assert paid_by_files(out) == {("E001", "2026-03"): Decimal("0.00")}

    # Approved again, the same calculation: paid again, once, as an adjustment of the recall.
    decide(url, "E001", MARCH)
    [again] = run_export(payroll_settings).exported
    assert read_csv(again.csv_path)[1][3:6] == ["adjustment", "2511.87", str(recall.batch_id)]
    assert paid_by_files(out) == approved_now(url) == {("E001", "2026-03"): Decimal("2511.87")}


def test_sum_over_all_files_is_the_approved_amount_per_engineer_and_period(payroll_settings: Settings) -> None:
    url = payroll_settings.warehouse_url
    out = payroll_settings.payroll_export_dir
    april = date(2026, 4, 1)
    seed_two(url)  # March: E001 2511.87, E002 0.10
    set_bonus(url, "E001", "2026-04", [Line("duty_shift", "shift:apr", "100.00")])

    decide(url, "E001", MARCH)
    decide(url, "E002", MARCH)
    decide(url, "E001", april)
    assert [b.control_total for b in run_export(payroll_settings).exported] == [Decimal("2511.97"),
                                                                                 Decimal("100.00")]
    # E002 gets a late shift (0.10 + 1500.00) and is approved again; E001's April is rejected.
    set_bonus(url, "E002", "2026-03", [Line("ticket_points", "ticket:102", "0.10", 102),
                                       Line("duty_shift", "shift:bb", "1500.00")])
    decide(url, "E002", MARCH)
    decide(url, "E001", april, "rejected", comment="смена в другом месяце")
    assert [b.control_total for b in run_export(payroll_settings).exported] == [Decimal("1500.00"),
                                                                                 Decimal("-100.00")]
    # E001's repeat penalty is withdrawn (+722.63) and April approved again; E002 rejected.
    set_bonus(url, "E001", "2026-03", [Line("ticket_points", "ticket:101", "1234.50", 101),
                                       Line("duty_shift", "shift:aa", "2000.00")])
    decide(url, "E001", MARCH)
    decide(url, "E001", april)
    decide(url, "E002", MARCH, "rejected", comment="заявка не его")
    [march, april_batch] = run_export(payroll_settings).exported
    assert [r[3:5] for r in read_csv(march.csv_path)[1:]] == [["adjustment", "722.63"], ["adjustment", "-1500.10"]]
    assert march.control_total == Decimal("-777.47")  # 722.63 - 1500.10
    assert april_batch.control_total == Decimal("100.00")

    assert paid_by_files(out) == {
        ("E001", "2026-03"): Decimal("3234.50"),
        ("E002", "2026-03"): Decimal("0.00"),
        ("E001", "2026-04"): Decimal("100.00"),
    }
    assert paid_by_files(out) == approved_now(url)
    assert run_export(payroll_settings).exported == []


def late_fact_pending(payroll_settings: Settings) -> int:
    """E001 and E002 exported, then E001's late fact approved: a 300.00 adjustment is due."""
    url = payroll_settings.warehouse_url
    seed_two(url)
    decide(url, "E001", MARCH)
    decide(url, "E002", MARCH)
    [first] = run_export(payroll_settings).exported
    set_bonus(url, "E001", "2026-03", LATE_FACT)
    decide(url, "E001", MARCH)
    return first.batch_id


def test_crash_before_commit_of_an_adjustment_leaves_no_batch(payroll_settings: Settings) -> None:
    url = payroll_settings.warehouse_url
    first = late_fact_pending(payroll_settings)

    def crash(point: str) -> None:
        if point == "files_written":
            raise Crash(point)

    with pytest.raises(Crash):
        run_export(payroll_settings, fault=crash)
    assert query(url, "select count(*) from payroll.exported_lines") == [(2,)]
    [adjustment] = run_export(payroll_settings).exported
    assert read_csv(adjustment.csv_path)[1][3:6] == ["adjustment", "300.00", str(first)]
    assert run_export(payroll_settings).exported == []
    assert paid_by_files(payroll_settings.payroll_export_dir)[("E001", "2026-03")] == Decimal("2811.87")


def test_crash_after_commit_of_an_adjustment_is_recovered_once(payroll_settings: Settings) -> None:
    url = payroll_settings.warehouse_url
    late_fact_pending(payroll_settings)

    def crash(point: str) -> None:
        if point == "committed":
            raise Crash(point)

    with pytest.raises(Crash):
        run_export(payroll_settings, fault=crash)
    [(batch_id, sha)] = query(url, "select batch_id, sha256 from payroll.export_batches where batch_id = "
                                   "(select max(batch_id) from payroll.export_batches)")
    report = run_export(payroll_settings)
    assert report.exported == [] and [b.batch_id for b in report.recovered] == [batch_id]
    assert hashlib.sha256(report.recovered[0].csv_path.read_bytes()).hexdigest() == sha
    assert read_csv(report.recovered[0].csv_path)[1][3:5] == ["adjustment", "300.00"]
    assert paid_by_files(payroll_settings.payroll_export_dir) == approved_now(url)


def test_concurrent_exports_write_an_adjustment_once(payroll_settings: Settings) -> None:
    from concurrent.futures import ThreadPoolExecutor

    url = payroll_settings.warehouse_url
    late_fact_pending(payroll_settings)
    with ThreadPoolExecutor(max_workers=4) as pool:
        reports = list(pool.map(lambda _: run_export(payroll_settings), range(4)))
    assert sorted(len(r.exported) for r in reports) == [0, 0, 0, 1]
    assert query(url, "select kind, amount_rub from payroll.exported_lines order by batch_id, line_no") == [
        ("bonus", Decimal("2511.87")), ("bonus", Decimal("0.10")), ("adjustment", Decimal("300.00"))]


KILL_SCRIPT = """
import os, signal, sys
from pathlib import Path
import warehouse
from bonus_export.export import export
from bonus_export.settings import Settings

point = sys.argv[1]
settings = Settings(warehouse_url=os.environ["WAREHOUSE_URL"], payroll_export_dir=Path(sys.argv[2]))

def kill(reached):
    if reached == point:
        os.kill(os.getpid(), signal.SIGKILL)

with warehouse.connect(settings.warehouse_url, autocommit=True) as conn:
    export(conn, settings, fault=kill)
"""


@pytest.mark.parametrize("point", ["files_written", "committed"])
def test_export_killed_half_way_pays_the_adjustment_exactly_once(payroll_settings: Settings, point: str,
                                                                 tmp_path: Path) -> None:
    """A real SIGKILL of the exporting process, before and after its commit."""
    import os
    import signal
    import subprocess
    import sys

    url = payroll_settings.warehouse_url
    late_fact_pending(payroll_settings)
    out = payroll_settings.payroll_export_dir
    killed = subprocess.run([sys.executable, "-c", KILL_SCRIPT, point, str(out)], cwd=Path(__file__).parents[2],
                            env={**os.environ, "WAREHOUSE_URL": url}, capture_output=True, text=True, timeout=120)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert any(p.name.endswith(".tmp") for p in out.iterdir()), "killed with its temporary files written"

    report = run_export(payroll_settings)
    assert len(report.recovered) + len(report.exported) == 1
    assert not any(p.name.endswith(".tmp") for p in out.iterdir())
    assert run_export(payroll_settings).exported == []
    assert query(url, "select count(*) from payroll.exported_lines where kind = 'adjustment'") == [(1,)]
    assert paid_by_files(out) == approved_now(url) == {
        ("E001", "2026-03"): Decimal("2811.87"), ("E002", "2026-03"): Decimal("0.10")}


# ---------------------------------------------------------------- a trail nobody edits quietly
def sql(url: str, statement: str, *args) -> None:
    with warehouse.connect(url, autocommit=True) as conn:
        conn.execute(statement, args)


def test_direct_update_of_bonus_approvals_is_refused_at_export(payroll_settings: Settings) -> None:
    url = payroll_settings.warehouse_url
    seed_two(url)
    decide(url, "E001", MARCH)
    decide(url, "E002", MARCH)
    # Someone with write access raises the approved amount behind the page's back.
    sql(url, "update payroll.bonus_approvals set amount_rub = 99999.00 where personnel_no = 'E001'")

    report = run_export(payroll_settings)
    [batch] = report.exported
    assert [r[0] for r in read_csv(batch.csv_path)[1:]] == ["E002"], "the edited row is not exported"
    [refusal] = report.refused
    assert "E001" in refusal and "amount_rub 99999.00 vs log 2511.87" in refusal
    assert "refused: personnel_no E001, 2026-03" in report.summary()
    again = run_export(payroll_settings)
    assert again.exported == [] and again.refused == report.refused, "reported on every run until fixed"

    # Deciding again on the page writes a consistent pair: the logged amount goes out.
    decide(url, "E001", MARCH)
    fixed = run_export(payroll_settings)
    assert fixed.refused == []
    assert read_csv(fixed.exported[0].csv_path)[1][:5] == ["E001", "Иванов Иван Иванович", "2026-03", "bonus",
                                                            "2511.87"]


def test_edits_of_an_exported_decision_are_refused_and_pay_nothing(payroll_settings: Settings) -> None:
    url = payroll_settings.warehouse_url
    seed_two(url)
    approved = decide(url, "E001", MARCH)
    run_export(payroll_settings)
    decide(url, "E001", MARCH, "rejected", comment="ошибка")
    # Rejected after export, then quietly turned back into the old approval (it matches
    # that log entry in every column, but it is not the latest decision).
    sql(url, """update payroll.bonus_approvals a set status = l.decision, amount_rub = l.amount_rub,
                    decided_by = l.decided_by, decided_at = l.decided_at, comment = l.comment, log_id = l.log_id
                from payroll.approval_log l where l.log_id = %s and a.personnel_no = 'E001'""", approved)
    report = run_export(payroll_settings)
    assert report.exported == []
    [refusal] = report.refused
    assert f"log_id {approved} vs log {approved + 1}" in refusal

    sql(url, "delete from payroll.bonus_approvals where personnel_no = 'E001'")
    report = run_export(payroll_settings)
    assert report.exported == []
    assert ["has no row in payroll.bonus_approvals" in r for r in report.refused] == [True]
    assert query(url, "select count(*) from payroll.exported_lines") == [(1,)]


@pytest.mark.parametrize("table", ["approval_log", "export_batches", "exported_lines", "batch_deliveries"])
def test_history_tables_refuse_update_delete_and_truncate(payroll_settings: Settings, table: str) -> None:
    url = payroll_settings.warehouse_url
    seed_two(url)
    decide(url, "E001", MARCH)
    run_export(payroll_settings)
    before = query(url, f"select count(*) from payroll.{table}")
    assert before == [(1,)]
    column = {"approval_log": "amount_rub", "export_batches": "control_total", "exported_lines": "amount_rub",
              "batch_deliveries": "delivered_at"}[table]
    value = "now()" if table == "batch_deliveries" else "0"
    for statement in (f"update payroll.{table} set {column} = {value}",
                      f"delete from payroll.{table}",
                      f"truncate payroll.{table} cascade"):
        with warehouse.connect(url) as conn, pytest.raises(psycopg.errors.RaiseException, match="append-only"):
            conn.execute(statement)
    assert query(url, f"select count(*) from payroll.{table}") == before
    # With history intact, a new run pays nothing twice.
    assert run_export(payroll_settings).exported == []


def test_upgrade_from_0001_keeps_what_was_paid_and_delivered(fresh_db: str, tmp_path: Path) -> None:
    from payroll_fixtures import create_marts

    from bonus_export.migrate import migrate

    create_marts(fresh_db)
    migrate(fresh_db, "0001")
    seed_two(fresh_db)
    # the decision as the page of 0001 wrote it (today's page also records the lines it saw,
    # in a table of a later migration)
    sql(fresh_db, """
        with logged as (
            insert into payroll.approval_log (personnel_no, period_start, decision, amount_rub, calc_hash, decided_by)
            select personnel_no, period_start, 'approved', total_rub, calc_hash, 'manager'
            from marts.mart_bonus_summary where personnel_no = 'E001' and period_start = '2026-03-01'
            returning *)
        insert into payroll.bonus_approvals
        select personnel_no, period_start, amount_rub, calc_hash, decision, decided_by, decided_at, comment, log_id
        from logged""")
    sql(fresh_db, """
        insert into payroll.export_batches (period_start, file_name, out_dir, row_count, control_total, sha256,
                                            created_by, delivered_at)
        values ('2026-03-01', 'approved_bonuses_2026-03_1.csv', '/nowhere', 1, 2511.87, 'x', 'cli', now())""")
    sql(fresh_db, """
        insert into payroll.exported_lines (batch_id, line_no, log_id, personnel_no, full_name, period_start,
                                            amount_rub, approved_by, approved_at, calc_hash)
        select 1, 1, log_id, personnel_no, '', period_start, amount_rub, decided_by, decided_at, calc_hash
        from payroll.approval_log""")
    migrate(fresh_db)
    assert query(fresh_db, "select batch_id from payroll.batch_deliveries") == [(1,)]
    assert query(fresh_db, "select kind, corrects_batch from payroll.exported_lines") == [("bonus", None)]
    settings = Settings(warehouse_url=fresh_db, payroll_export_dir=tmp_path / "out")
    assert run_export(settings).exported == [], "what 0001 exported is not paid again"


# ---------------------------------------------------------------- the file
def mode(path: Path) -> int:
    import stat

    return stat.S_IMODE(path.stat().st_mode)


def test_files_are_readable_by_their_owner_only(payroll_settings: Settings) -> None:
    url = payroll_settings.warehouse_url
    out = payroll_settings.payroll_export_dir
    seed_two(url)
    decide(url, "E001", MARCH)
    [batch] = run_export(payroll_settings).exported
    assert mode(out) == 0o700
    assert (mode(batch.csv_path), mode(batch.manifest_path)) == (0o600, 0o600)


def test_an_open_export_folder_is_made_private(payroll_settings: Settings) -> None:
    import os

    url = payroll_settings.warehouse_url
    out = payroll_settings.payroll_export_dir
    out.mkdir(parents=True)
    os.chmod(out, 0o755)
    seed_two(url)
    decide(url, "E001", MARCH)
    report = run_export(payroll_settings)
    assert mode(out) == 0o700
    assert any("was open to other users (mode 0755): now 0700" in w for w in report.warnings)


def test_a_recovered_batch_and_its_adjustment_are_owner_only(payroll_settings: Settings) -> None:
    import os

    late_fact_pending(payroll_settings)
    out = payroll_settings.payroll_export_dir

    def crash(point: str) -> None:
        if point == "committed":
            raise Crash(point)

    with pytest.raises(Crash):
        run_export(payroll_settings, fault=crash)
    for tmp in out.glob(".*.tmp"):  # a left-over temporary file someone opened up
        os.chmod(tmp, 0o644)
    [recovered] = run_export(payroll_settings).recovered
    assert (mode(recovered.csv_path), mode(recovered.manifest_path)) == (0o600, 0o600)
    assert read_csv(recovered.csv_path)[1][3:6] == ["adjustment", "300.00", str(recovered.batch_id - 1)]


def test_the_worked_example_of_docs_approvals(payroll_settings: Settings) -> None:
    """docs/approvals.md "Worked example", row for row."""
    url = payroll_settings.warehouse_url
    add_engineer(url, "E001", "Иванов Иван Иванович")
    h1 = set_bonus(url, "E001", "2026-03", LATE_FACT[:3])
    decide(url, "E001", MARCH)
    [b1] = run_export(payroll_settings).exported
    h2 = set_bonus(url, "E001", "2026-03", LATE_FACT)
    assert "1 approval(s) are stale" in run_export(payroll_settings).summary()
    decide(url, "E001", MARCH, by="admin")
    [b2] = run_export(payroll_settings).exported
    decide(url, "E001", MARCH, "rejected", by="admin", comment="смена не его")
    [b3] = run_export(payroll_settings).exported
    assert [b.batch_id for b in (b1, b2, b3)] == [1, 2, 3]
    rows = [read_csv(b.csv_path)[1] for b in (b1, b2, b3)]
    name = "Иванов Иван Иванович"
    assert [r[:7] + r[8:] for r in rows] == [
        ["E001", name, "2026-03", "bonus", "2511.87", "", "manager", h1],
        ["E001", name, "2026-03", "adjustment", "300.00", "1", "admin", h2],
        ["E001", name, "2026-03", "adjustment", "-2811.87", "2", "admin", h2],
    ]
    assert paid_by_files(payroll_settings.payroll_export_dir) == {("E001", "2026-03"): Decimal("0.00")}
