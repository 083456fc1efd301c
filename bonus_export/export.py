"""The payroll export: each decision's money exactly once, one batch per period, crash-safe.

What is owed: per engineer and period, the latest decision in `payroll.approval_log`. An
approval counts while its calc_hash is still `marts.mart_bonus_summary`'s (else it is
stale: nothing is exported until someone decides again); a rejection owes zero. What was
paid: the sum of `payroll.exported_lines` for that engineer and period. The export writes
the difference, once per decision (`exported_lines.log_id` is unique):
- nothing paid yet: a `bonus` row with the approved amount (a rejection writes nothing);
- something paid: an `adjustment` row with `owed - paid` (negative allowed; none when it is
  zero), `corrects_batch` = the latest batch that paid this engineer and period.
So importing every file once, in batch order, pays exactly the currently approved amount.

The amount, hash, decider and time come from the log entry, never from
`payroll.bonus_approvals` (which is an ordinary table); a row of bonus_approvals that
disagrees with the latest log entry (an edit that bypassed the page) is refused and
reported, not exported.

How a batch stays whole (a crash leaves either a complete batch or none):
1. in one transaction: insert the batch and its lines, write the CSV and manifest under
   hidden temporary names (`.approved_bonuses_....tmp`, fsynced), commit;
2. rename the temporary files to their final names (atomic on one file system);
3. record the delivery (`payroll.batch_deliveries`).
A crash before 1's commit leaves no batch (the temporary files are removed on the next
run); a crash after it leaves a committed, undelivered batch, which the next run rebuilds
byte for byte from `payroll.exported_lines` (checked against the recorded sha256) and
delivers before exporting anything new. Exporters are serialised by an advisory lock.
Files are readable by their owner only (0600, in a 0700 folder).
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

import psycopg
from psycopg.rows import dict_row

from bonus_export.csvfile import HEADER, PayrollRow, control_total, money, render, sha256
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
    adjustments: int = 0


@dataclass
class ExportReport:
    exported: list[BatchInfo] = field(default_factory=list)
    recovered: list[BatchInfo] = field(default_factory=list)
    stale: int = 0
    refused: list[str] = field(default_factory=list)  # decisions whose bonus_approvals row disagrees with the log
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        lines = [f"recovered batch {b.batch_id} ({b.period}): {b.csv_path}" for b in self.recovered]
        lines += [
            f"exported batch {b.batch_id} ({b.period}): {b.row_count} rows, total {money(b.control_total)} RUB"
            + (f", {b.adjustments} of them adjustment(s)" if b.adjustments else "")
            + f" -> {b.csv_path}"
            for b in self.exported
        ]
        if not self.exported:
            lines.append("nothing new to export: every valid approval is already exported")
        if self.stale:
            lines.append(f"{self.stale} approval(s) are stale (the bonus changed after approval): not exported "
                         "until decided again")
        lines += [f"refused: {r}" for r in self.refused]
        lines += [f"warning: {w}" for w in self.warnings]
        return "\n".join(lines)


def file_names(period_start: date, batch_id: int) -> tuple[str, str]:
    stem = f"approved_bonuses_{format_period(period_start)}_{batch_id}"
    return f"{stem}.csv", f"{stem}.manifest.json"


# Per engineer and period: the latest logged decision, the current bonus_approvals row (to
# compare), the current calc_hash of the summary, and what earlier batches paid.
_DECISIONS = """
with latest as (
    select distinct on (personnel_no, period_start) *
    from payroll.approval_log
    where %(p)s::date is null or period_start = %(p)s::date
    order by personnel_no, period_start, log_id desc
),
a as (select * from payroll.bonus_approvals where %(p)s::date is null or period_start = %(p)s::date),
paid as (
    select personnel_no, period_start, sum(amount_rub) as paid_rub, max(batch_id) as last_batch
    from payroll.exported_lines
    where %(p)s::date is null or period_start = %(p)s::date
    group by personnel_no, period_start
)
select coalesce(l.personnel_no, a.personnel_no) as personnel_no,
       coalesce(l.period_start, a.period_start) as period_start,
       l.log_id, l.decision, l.amount_rub, l.calc_hash, l.decided_by, l.decided_at,
       a.log_id as a_log_id, a.status as a_status, a.amount_rub as a_amount_rub,
       a.calc_hash as a_calc_hash, a.decided_by as a_decided_by, a.decided_at as a_decided_at,
       s.calc_hash::text as current_hash,
       coalesce(e.full_name, '') as full_name,
       p.paid_rub, p.last_batch,
       exists (select 1 from payroll.exported_lines x where x.log_id = l.log_id) as settled
from latest l
full join a on a.personnel_no = l.personnel_no and a.period_start = l.period_start
left join paid p
  on p.personnel_no = coalesce(l.personnel_no, a.personnel_no)
 and p.period_start = coalesce(l.period_start, a.period_start)
left join marts.mart_bonus_summary s
  on s.personnel_no::text = coalesce(l.personnel_no, a.personnel_no)
 and s.period_start::date = coalesce(l.period_start, a.period_start)
left join marts.dim_engineers e on e.personnel_no::text = coalesce(l.personnel_no, a.personnel_no)
order by coalesce(l.period_start, a.period_start), coalesce(l.personnel_no, a.personnel_no) collate "C"
"""

# (bonus_approvals column, approval_log column) that must agree.
_COMPARED = (("a_log_id", "log_id"), ("a_status", "decision"), ("a_amount_rub", "amount_rub"),
             ("a_calc_hash", "calc_hash"), ("a_decided_by", "decided_by"), ("a_decided_at", "decided_at"))


@dataclass(frozen=True)
class Line:
    """One row to export: the decision it carries out and the row itself."""

    log_id: int
    row: PayrollRow


@dataclass
class Plan:
    lines: list[Line] = field(default_factory=list)
    stale: int = 0
    refused: list[str] = field(default_factory=list)


def _disagreement(d: dict) -> str | None:
    where = f"personnel_no {d['personnel_no']}, {format_period(d['period_start'])}"
    if d["log_id"] is None:
        return (f"{where}: payroll.bonus_approvals holds a decision (approval_log {d['a_log_id']}) that "
                "approval_log does not have for this engineer and period: not exported")
    if d["a_log_id"] is None:
        return (f"{where}: approval_log {d['log_id']} ({d['decision']}) has no row in payroll.bonus_approvals "
                "(deleted?): not exported")
    differ = [f"{a_col[2:]} {d[a_col]!s} vs log {d[l_col]!s}" for a_col, l_col in _COMPARED if d[a_col] != d[l_col]]
    if differ:
        return (f"{where}: payroll.bonus_approvals disagrees with approval_log {d['log_id']} "
                f"({'; '.join(differ)}): edited outside the page, not exported; decide again on the page")
    return None


def plan(conn: psycopg.Connection, period_start: date | None) -> Plan:
    """What the export would write now for one period (or all), and what it refuses."""
    out = Plan()
    with conn.cursor(row_factory=dict_row) as cur:
        decisions = cur.execute(_DECISIONS, {"p": period_start}).fetchall()
    for d in decisions:
        if d["decision"] == "withdrawn" and d["a_log_id"] is None:
            # an approval withdrawn before its export: the bonus is pending again and what
            # payroll was paid before (if anything) stands
            continue
        problem = _disagreement(d)
        if problem:
            out.refused.append(problem)
            continue
        if d["decision"] == "approved" and d["current_hash"] != d["calc_hash"]:
            out.stale += 1
            continue
        if d["settled"]:
            continue
        owed = d["amount_rub"] if d["decision"] == "approved" else Decimal("0.00")
        if d["paid_rub"] is None:
            if d["decision"] == "rejected":
                continue  # never paid, nothing to recall
            kind, amount, corrects = "bonus", owed, None
        else:
            amount = owed - d["paid_rub"]
            if amount == 0:
                continue  # approved again with the same money: paid already
            kind, corrects = "adjustment", int(d["last_batch"])
        out.lines.append(Line(int(d["log_id"]), PayrollRow(
            personnel_no=d["personnel_no"], full_name=d["full_name"], period_start=d["period_start"],
            kind=kind, amount_rub=amount, corrects_batch=corrects, approved_by=d["decided_by"],
            approved_at=d["decided_at"], calc_hash=d["calc_hash"],
        )))
    return out


def _private_folder(path: Path) -> str | None:
    """Create the folder 0700, or tighten an existing one we own; returns a warning if tightened."""
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            os.chmod(path, 0o700)
            return f"the export folder {path} was open to other users (mode {mode:04o}): now 0700"
    except OSError as exc:
        raise ExportError(f"cannot make the export folder {path} private (0700): {exc}") from exc
    return None


def _write_durably(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        os.fchmod(fd, 0o600)  # an older file of that name keeps its mode through O_TRUNC
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


def _manifest(conn: psycopg.Connection, batch: dict) -> bytes:
    """The manifest: counts, control total, sha256, and for each adjustment what it corrects."""
    adjustments = conn.execute(
        """
        select n.personnel_no, n.amount_rub, n.corrects_batch, c.file_name, l.decision,
               (select sum(x.amount_rub) from payroll.exported_lines x
                where x.personnel_no = n.personnel_no and x.period_start = n.period_start
                  and x.batch_id < n.batch_id) as paid_before
        from payroll.exported_lines n
        join payroll.export_batches c on c.batch_id = n.corrects_batch
        join payroll.approval_log l on l.log_id = n.log_id
        where n.batch_id = %s and n.kind = 'adjustment'
        order by n.line_no
        """,
        (batch["batch_id"],),
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
        "columns": list(HEADER),
        "encoding": "UTF-8 with BOM",
        "delimiter": ";",
        # An adjustment is added to what earlier batches paid: after it, that engineer and
        # period have been paid `paid_after_rub` in total (zero after a rejection).
        "adjustments": [
            {"personnel_no": p, "amount_rub": money(a), "corrects_batch": cb, "corrects_file": f,
             "decision": dec, "paid_before_rub": money(before), "paid_after_rub": money(before + a)}
            for p, a, cb, f, dec, before in adjustments
        ],
    }
    return (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _batch_rows(conn: psycopg.Connection, batch_id: int) -> list[PayrollRow]:
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(
            """
            select personnel_no, full_name, period_start, kind, amount_rub, corrects_batch, approved_by,
                   approved_at, calc_hash
            from payroll.exported_lines where batch_id = %s order by line_no
            """,
            (batch_id,),
        ).fetchall()
    return [PayrollRow(**r) for r in rows]


def _deliver(conn: psycopg.Connection, batch_id: int, settings: Settings, report: ExportReport,
             fault: Fault | None) -> BatchInfo:
    """Put a committed batch's files under their final names and record the delivery."""
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
    tightened = _private_folder(out)
    if tightened:
        report.warnings.append(tightened)
    csv_path = out / batch["file_name"]
    manifest_path = out / file_names(batch["period_start"], batch_id)[1]
    for path, payload in ((csv_path, data), (manifest_path, _manifest(conn, batch))):
        tmp = _tmp(path)
        if tmp.exists() and tmp.read_bytes() == payload:
            os.chmod(tmp, 0o600)
        else:
            _write_durably(tmp, payload)
    if fault:
        fault("committed")
    os.replace(_tmp(csv_path), csv_path)
    os.replace(_tmp(manifest_path), manifest_path)
    _fsync_dir(out)
    conn.execute("insert into payroll.batch_deliveries (batch_id) values (%s) on conflict do nothing", (batch_id,))
    return BatchInfo(batch_id, format_period(batch["period_start"]), csv_path, manifest_path,
                     batch["row_count"], batch["control_total"],
                     sum(1 for r in rows if r.kind == "adjustment"))


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
            # A decision taken at this moment waits for the batch, then the next run sees
            # both (and writes the difference, if any).
            conn.execute("select 1 from payroll.bonus_approvals where period_start = %s for update",
                         (period_start,))
            todo = plan(conn, period_start)
            for r in todo.refused:
                if r not in report.refused:
                    report.refused.append(r)
            if not todo.lines:
                return None
            rows = [ln.row for ln in todo.lines]
            for r in rows:
                if not r.full_name:
                    report.warnings.append(
                        f"personnel_no {r.personnel_no} has no full_name in marts.dim_engineers; "
                        "exported with an empty name"
                    )
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
                        period_start, kind, amount_rub, corrects_batch, approved_by, approved_at, calc_hash)
                    values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
                    """,
                    [
                        (batch_id, i, ln.log_id, r.personnel_no, r.full_name, r.period_start, r.kind,
                         r.amount_rub, r.corrects_batch, r.approved_by, r.approved_at, r.calc_hash)
                        for i, (ln, r) in enumerate(zip(todo.lines, rows, strict=True), start=1)
                    ],
                )
            with conn.cursor(row_factory=dict_row) as cur:
                batch = cur.execute("select * from payroll.export_batches where batch_id = %s",
                                    (batch_id,)).fetchone()
            for name, payload in ((csv_name, data), (manifest_name, _manifest(conn, batch))):
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
    """Deliver undelivered batches, then export what is owed and not yet paid (of one period).

    `conn` must be in autocommit mode (each batch is its own transaction). Refused
    decisions (bonus_approvals disagreeing with the log) are in `report.refused`.
    """
    if not conn.autocommit:
        raise ExportError("export() needs an autocommit connection (each batch is its own transaction)")
    out = Path(out_dir or settings.payroll_export_dir).resolve()
    report = ExportReport()
    tightened = _private_folder(out)
    if tightened:
        report.warnings.append(tightened)
    conn.execute("select pg_advisory_lock(%s)", (EXPORT_LOCK_KEY,))
    try:
        undelivered = conn.execute(
            """
            select batch_id from payroll.export_batches b
            where not exists (select 1 from payroll.batch_deliveries d where d.batch_id = b.batch_id)
            order by batch_id
            """
        ).fetchall()
        for (batch_id,) in undelivered:
            report.recovered.append(_deliver(conn, batch_id, settings, report, fault))
        # Leftovers of a run that crashed before its commit: no batch owns them.
        for tmp in out.glob(".approved_bonuses_*.tmp"):
            tmp.unlink(missing_ok=True)

        first = plan(conn, period_start)
        report.stale, report.refused = first.stale, list(first.refused)
        for p in sorted({ln.row.period_start for ln in first.lines}):
            batch_id = _export_period(conn, p, out, created_by, settings, report, fault)
            if batch_id is not None:
                report.exported.append(_deliver(conn, batch_id, settings, report, fault))
    finally:
        conn.execute("select pg_advisory_unlock(%s)", (EXPORT_LOCK_KEY,))
    return report
