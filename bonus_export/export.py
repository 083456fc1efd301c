"""The payroll export: every valid approval exactly once, one batch per period, crash-safe.

A valid approval: `payroll.bonus_approvals.status = 'approved'` and its pinned calc_hash still
equals `marts.mart_bonus_summary.calc_hash` for that engineer and period, and no earlier
batch exported that (engineer, period, calc_hash). The exported amount is the pinned one.

How a batch stays whole (a crash leaves either a complete batch or none):
1. in one transaction: insert the batch and its lines, write the CSV and manifest under
   hidden temporary names (`.approved_bonuses_....tmp`, fsynced), commit;
2. rename the temporary files to their final names (atomic on one file system);
3. mark the batch delivered (`delivered_at`).
A crash before 1's commit leaves no batch (the temporary files are removed on the next
run); a crash after it leaves a committed, undelivered batch, which the next run rebuilds
byte for byte from `payroll.exported_lines` (checked against the recorded sha256) and
delivers before exporting anything new. Exporters are serialised by an advisory lock.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

import psycopg
from psycopg.rows import dict_row

from bonus_export.csvfile import PayrollRow, control_total, money, render, sha256
from bonus_export.periods import format_period
from bonus_export.settings import Settings

EXPORT_LOCK_KEY = 804_202_609
# Fault injection for tests: called with the name of the point reached ("files_written"
# before the commit, "committed" before the rename); raising there simulates a crash.
Fault = Callable[[str], None]


class ExportError(RuntimeError):
    pass


@dataclass(frozen=True)
class BatchInfo:
    batch_id: int
    period: str
    csv_path: Path
    manifest_path: Path
    row_count: int
    control_total: Decimal


@dataclass
class ExportReport:
    exported: list[BatchInfo] = field(default_factory=list)
    recovered: list[BatchInfo] = field(default_factory=list)
    stale: int = 0
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        lines = [f"recovered batch {b.batch_id} ({b.period}): {b.csv_path}" for b in self.recovered]
        lines += [
            f"exported batch {b.batch_id} ({b.period}): {b.row_count} rows, total {money(b.control_total)} RUB"
            f" -> {b.csv_path}"
            for b in self.exported
        ]
        if not self.exported:
            lines.append("nothing new to export: every valid approval is already exported")
        if self.stale:
            lines.append(f"{self.stale} approval(s) are stale (the bonus changed after approval): not exported "
                         "until decided again")
        lines += [f"warning: {w}" for w in self.warnings]
        return "\n".join(lines)


def file_names(period_start: date, batch_id: int) -> tuple[str, str]:
    stem = f"approved_bonuses_{format_period(period_start)}_{batch_id}"
    return f"{stem}.csv", f"{stem}.manifest.json"


_CANDIDATES = """
select a.personnel_no, coalesce(e.full_name, '') as full_name, a.period_start, a.amount_rub,
       a.decided_by as approved_by, a.decided_at as approved_at, a.calc_hash, a.log_id
from payroll.bonus_approvals a
join marts.mart_bonus_summary s
  on s.personnel_no::text = a.personnel_no and s.period_start::date = a.period_start
 and s.calc_hash::text = a.calc_hash
left join marts.dim_engineers e on e.personnel_no::text = a.personnel_no
where a.status = 'approved'
  and (%(p)s::date is null or a.period_start = %(p)s::date)
  and not exists (
      select 1 from payroll.exported_lines x
      where x.personnel_no = a.personnel_no and x.period_start = a.period_start and x.calc_hash = a.calc_hash)
order by a.period_start, a.personnel_no collate "C"
"""
# Inside the batch transaction: lock the approvals being exported, so that a decision taken
# at the same moment waits for the batch and then sees it (instead of racing it).
_CANDIDATES_LOCKED = _CANDIDATES + "for update of a\n"

_COUNTS = """
select count(*) filter (where a.status = 'approved' and s.calc_hash is distinct from a.calc_hash) as stale
from payroll.bonus_approvals a
left join marts.mart_bonus_summary s
  on s.personnel_no::text = a.personnel_no and s.period_start::date = a.period_start
where %(p)s::date is null or a.period_start = %(p)s::date
"""


def _write_durably(path: Path, data: bytes) -> None:
    with open(path, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _tmp(path: Path) -> Path:
    return path.with_name(f".{path.name}.tmp")


def _manifest(conn: psycopg.Connection, batch: dict, rows: list[PayrollRow]) -> bytes:
    """The manifest: counts, control total, sha256, and which earlier exports a row replaces."""
    supersedes = conn.execute(
        """
        select x.personnel_no, x.batch_id, b.file_name, x.amount_rub, x.calc_hash
        from payroll.exported_lines x join payroll.export_batches b using (batch_id)
        join payroll.exported_lines n
          on n.batch_id = %(b)s and n.personnel_no = x.personnel_no and n.period_start = x.period_start
        where x.batch_id < %(b)s
        order by x.personnel_no collate "C", x.batch_id
        """,
        {"b": batch["batch_id"]},
    ).fetchall()
    doc = {
        "file": batch["file_name"],
        "batch_id": batch["batch_id"],
        "period": format_period(batch["period_start"]),
        "row_count": batch["row_count"],
        "control_total": money(batch["control_total"]),
        "sha256": batch["sha256"],
        "created_at": batch["created_at"].isoformat(),
        "created_by": batch["created_by"],
        "columns": ["personnel_no", "full_name", "period", "amount_rub", "approved_by", "approved_at", "calc_hash"],
        "encoding": "UTF-8 with BOM",
        "delimiter": ";",
        # A row here is a re-approval of a bonus that changed after it had been exported:
        # the new row's amount replaces the earlier one (it is not an additional payment).
        "supersedes": [
            {"personnel_no": p, "batch_id": b, "file": f, "amount_rub": money(a), "calc_hash": h}
            for p, b, f, a, h in supersedes
        ],
    }
    return (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _batch_rows(conn: psycopg.Connection, batch_id: int) -> list[PayrollRow]:
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(
            """
            select personnel_no, full_name, period_start, amount_rub, approved_by, approved_at, calc_hash
            from payroll.exported_lines where batch_id = %s order by line_no
            """,
            (batch_id,),
        ).fetchall()
    return [PayrollRow(**r) for r in rows]


def _deliver(conn: psycopg.Connection, batch_id: int, settings: Settings, fault: Fault | None) -> BatchInfo:
    """Put a committed batch's files under their final names and mark it delivered."""
    with conn.cursor(row_factory=dict_row) as cur:
        batch = cur.execute("select * from payroll.export_batches where batch_id = %s", (batch_id,)).fetchone()
    rows = _batch_rows(conn, batch_id)
    data = render(rows, settings.zone)
    if sha256(data) != batch["sha256"]:
        raise ExportError(
            f"batch {batch_id}: the CSV rebuilt from payroll.exported_lines has sha256 {sha256(data)}, "
            f"the batch recorded {batch['sha256']}; the batch is left undelivered for a person to check"
        )
    out = Path(batch["out_dir"])
    out.mkdir(parents=True, exist_ok=True)
    csv_path = out / batch["file_name"]
    manifest_path = out / file_names(batch["period_start"], batch_id)[1]
    for path, payload in ((csv_path, data), (manifest_path, _manifest(conn, batch, rows))):
        tmp = _tmp(path)
        if not (tmp.exists() and tmp.read_bytes() == payload):
            _write_durably(tmp, payload)
    if fault:
        fault("committed")
    os.replace(_tmp(csv_path), csv_path)
    os.replace(_tmp(manifest_path), manifest_path)
    _fsync_dir(out)
    conn.execute("update payroll.export_batches set delivered_at = now() where batch_id = %s", (batch_id,))
    return BatchInfo(batch_id, format_period(batch["period_start"]), csv_path, manifest_path,
                     batch["row_count"], batch["control_total"])


def _export_period(
    conn: psycopg.Connection,
    period_start: date,
    out_dir: Path,
    created_by: str,
    settings: Settings,
    report: ExportReport,
    fault: Fault | None,
) -> int | None:
    """Record one batch and write its temporary files, all in one transaction; returns batch_id."""
    written: list[Path] = []
    try:
        with conn.transaction():
            with conn.cursor(row_factory=dict_row) as cur:
                candidates = cur.execute(_CANDIDATES_LOCKED, {"p": period_start}).fetchall()
            if not candidates:
                return None
            for c in candidates:
                if not c["full_name"]:
                    report.warnings.append(
                        f"personnel_no {c['personnel_no']} has no full_name in marts.dim_engineers; "
                        "exported with an empty name"
                    )
            rows = [PayrollRow(**{k: c[k] for k in PayrollRow.__dataclass_fields__}) for c in candidates]
            data = render(rows, settings.zone)
            total = control_total(rows)
            (batch_id,) = conn.execute(
                "select nextval(pg_get_serial_sequence('payroll.export_batches', 'batch_id'))"
            ).fetchone()
            csv_name, manifest_name = file_names(period_start, batch_id)
            conn.execute(
                """
                insert into payroll.export_batches
                    (batch_id, period_start, file_name, out_dir, row_count, control_total, sha256, created_by)
                overriding system value values (%s, %s, %s, %s, %s, %s, %s, %s)
                """,
                (batch_id, period_start, csv_name, str(out_dir), len(rows), total, sha256(data), created_by),
            )
            with conn.cursor() as cur:
                cur.executemany(
                    """
                    insert into payroll.exported_lines (batch_id, line_no, log_id, personnel_no, full_name,
                        period_start, amount_rub, approved_by, approved_at, calc_hash)
                    values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
                    """,
                    [
                        (batch_id, i, c["log_id"], c["personnel_no"], c["full_name"], c["period_start"],
                         c["amount_rub"], c["approved_by"], c["approved_at"], c["calc_hash"])
                        for i, c in enumerate(candidates, start=1)
                    ],
                )
            with conn.cursor(row_factory=dict_row) as cur:
                batch = cur.execute("select * from payroll.export_batches where batch_id = %s",
                                    (batch_id,)).fetchone()
            for name, payload in ((csv_name, data), (manifest_name, _manifest(conn, batch, rows))):
                tmp = _tmp(out_dir / name)
                written.append(tmp)
                _write_durably(tmp, payload)
            if fault:
                fault("files_written")
    except BaseException:
        for tmp in written:
            tmp.unlink(missing_ok=True)
        raise
    return int(batch_id)


def export(
    conn: psycopg.Connection,
    settings: Settings,
    *,
    period_start: date | None = None,
    out_dir: Path | None = None,
    created_by: str = "cli",
    fault: Fault | None = None,
) -> ExportReport:
    """Deliver undelivered batches, then export every valid unexported approval (of one period).

    `conn` must be in autocommit mode (each batch is its own transaction).
    """
    if not conn.autocommit:
        raise ExportError("export() needs an autocommit connection (each batch is its own transaction)")
    out = Path(out_dir or settings.payroll_export_dir).resolve()
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportError(f"cannot create the export folder {out}: {exc}") from exc
    report = ExportReport()
    conn.execute("select pg_advisory_lock(%s)", (EXPORT_LOCK_KEY,))
    try:
        undelivered = conn.execute(
            "select batch_id from payroll.export_batches where delivered_at is null order by batch_id"
        ).fetchall()
        for (batch_id,) in undelivered:
            report.recovered.append(_deliver(conn, batch_id, settings, fault))
        # Leftovers of a run that crashed before its commit: no batch owns them.
        for tmp in out.glob(".approved_bonuses_*.tmp"):
            tmp.unlink(missing_ok=True)

        periods = sorted({c[2] for c in conn.execute(_CANDIDATES, {"p": period_start}).fetchall()})
        for p in periods:
            batch_id = _export_period(conn, p, out, created_by, settings, report, fault)
            if batch_id is not None:
                report.exported.append(_deliver(conn, batch_id, settings, fault))
        (report.stale,) = conn.execute(_COUNTS, {"p": period_start}).fetchone()
    finally:
        conn.execute("select pg_advisory_unlock(%s)", (EXPORT_LOCK_KEY,))
    return report
