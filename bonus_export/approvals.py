"""Bonuses with their approval status, and recording decisions.

Reads only the contract columns of the bonus marts (schema `marts`):
`mart_bonus_summary (personnel_no, period_start, total_rub, calc_hash)`,
`mart_bonus_lines (personnel_no, period_start, line_kind, source_event_id, ticket_id, points,
amount_rub, coefficients, explanation)`, `dim_engineers (personnel_no, full_name)`.

Status of an engineer's bonus for a period:
- `pending`: no decision yet;
- `approved`: approved, and the pinned calc_hash still equals mart_bonus_summary's;
- `stale`: approved, but the summary's calc_hash changed (or the row is gone): never
  exported until someone decides again;
- `rejected`: rejected (never exported).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

import psycopg
from psycopg.rows import dict_row

# docs/rules.md's order of the bonus rules: lines are shown in it.
LINE_KINDS = ("ticket_points", "repeat_penalty", "duty_shift", "hourly_work_share", "kpi_multiplier",
              "floor_adjustment")

Decision = Literal["approved", "rejected"]
Status = Literal["pending", "approved", "rejected", "stale"]

# The status rule in SQL: `s` = mart_bonus_summary, `a` = payroll.bonus_approvals.
STATUS_SQL = """
case
    when a.status is null then 'pending'
    when a.status = 'rejected' then 'rejected'
    when s.calc_hash is not distinct from a.calc_hash then 'approved'
    else 'stale'
end
"""


class DecisionRefused(Exception):
    """A decision that cannot be recorded; `status` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class BonusRow:
    personnel_no: str
    full_name: str
    team_name: str | None
    period_start: date
    total_rub: Decimal | None  # None: the summary row is gone (only an old decision remains)
    calc_hash: str | None
    status: Status
    approved_amount_rub: Decimal | None
    decided_by: str | None
    decided_at: datetime | None
    comment: str | None
    exported_batch_id: int | None  # the batch that exported the current decision (a bonus or an adjustment row)
    log_id: int | None  # the approval_log entry of the current decision


@dataclass(frozen=True)
class BonusLine:
    line_kind: str
    source_event_id: str
    ticket_id: int | None
    points: Decimal | None
    amount_rub: Decimal
    coefficients: Any
    explanation: str


@dataclass(frozen=True)
class LogEntry:
    log_id: int
    decision: str
    amount_rub: Decimal
    calc_hash: str
    decided_by: str
    decided_at: datetime
    comment: str


def periods(conn: psycopg.Connection) -> list[date]:
    """Periods that have bonuses or decisions, newest first."""
    rows = conn.execute(
        """
        select period_start from marts.mart_bonus_summary
        union
        select period_start from payroll.bonus_approvals
        order by 1 desc
        """
    ).fetchall()
    return [r[0] for r in rows]


def bonus_rows(conn: psycopg.Connection, period_start: date, personnel_no: str | None = None) -> list[BonusRow]:
    """Engineers of a period with amount and status (also decisions whose summary row vanished)."""
    sql = f"""
        with s as (
            select personnel_no::text as personnel_no, period_start::date as period_start,
                   total_rub::numeric(14, 2) as total_rub, calc_hash::text as calc_hash
            from marts.mart_bonus_summary
            where period_start = %(p)s
        ),
        a as (select * from payroll.bonus_approvals where period_start = %(p)s)
        select coalesce(s.personnel_no, a.personnel_no) as personnel_no,
               coalesce(e.full_name, '') as full_name, e.team_name::text as team_name,
               %(p)s::date as period_start,
               s.total_rub, s.calc_hash,
               {STATUS_SQL} as status,
               a.amount_rub as approved_amount_rub, a.decided_by, a.decided_at, a.comment,
               x.batch_id as exported_batch_id, a.log_id
        from s
        full join a on a.personnel_no = s.personnel_no
        left join marts.dim_engineers e on e.personnel_no::text = coalesce(s.personnel_no, a.personnel_no)
        left join payroll.exported_lines x on x.log_id = a.log_id
        where %(n)s::text is null or coalesce(s.personnel_no, a.personnel_no) = %(n)s::text
        order by full_name, personnel_no
    """
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(sql, {"p": period_start, "n": personnel_no}).fetchall()
    return [BonusRow(**r) for r in rows]


def bonus_lines(conn: psycopg.Connection, period_start: date, personnel_no: str) -> list[BonusLine]:
    sql = """
        select line_kind::text, source_event_id::text, ticket_id, points, amount_rub::numeric(14, 2),
               coefficients, coalesce(explanation, '') as explanation
        from marts.mart_bonus_lines
        where period_start = %s and personnel_no::text = %s
        order by coalesce(array_position(%s::text[], line_kind::text), 99), source_event_id collate "C"
    """
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(sql, (period_start, personnel_no, list(LINE_KINDS))).fetchall()
    return [BonusLine(**r) for r in rows]


def decision_log(conn: psycopg.Connection, period_start: date, personnel_no: str) -> list[LogEntry]:
    sql = """
        select log_id, decision, amount_rub, calc_hash, decided_by, decided_at, comment
        from payroll.approval_log where period_start = %s and personnel_no = %s
        order by log_id desc
    """
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(sql, (period_start, personnel_no)).fetchall()
    return [LogEntry(**r) for r in rows]


def decide(
    conn: psycopg.Connection,
    *,
    period_start: date,
    personnel_no: str,
    decision: Decision,
    seen_calc_hash: str,
    decided_by: str,
    comment: str = "",
) -> int:
    """Record a decision on the bonus as the decider saw it; returns the approval_log id.

    The decision pins the summary's current total and calc_hash. If the hash the decider
    saw (`seen_calc_hash`) is no longer the summary's, nothing is recorded (409): the
    bonus changed while they were reading it. Commits on success.
    """
    if decision not in ("approved", "rejected"):
        raise DecisionRefused(f"decision must be approve or reject, got {decision!r}")
    comment = (comment or "").strip()
    if decision == "rejected" and not comment:
        raise DecisionRefused("a rejection needs a comment saying why")
    with conn.transaction():
        # One decider at a time per engineer and period.
        conn.execute(
            "select pg_advisory_xact_lock(hashtext('payroll.decide:' || %s || ':' || %s::text))",
            (personnel_no, period_start),
        )
        row = conn.execute(
            """
            select total_rub::numeric(14, 2), calc_hash::text from marts.mart_bonus_summary
            where period_start = %s and personnel_no::text = %s
            """,
            (period_start, personnel_no),
        ).fetchone()
        if row is None:
            raise DecisionRefused(
                f"no bonus of personnel_no {personnel_no} for {period_start:%Y-%m} in marts.mart_bonus_summary",
                status=404,
            )
        total, calc_hash = row
        if calc_hash != seen_calc_hash:
            raise DecisionRefused(
                "the bonus changed since the page was opened (calc_hash differs); "
                "reload the page, read the new lines and decide again",
                status=409,
            )
        (log_id,) = conn.execute(
            """
            insert into payroll.approval_log
                (personnel_no, period_start, decision, amount_rub, calc_hash, decided_by, comment)
            values (%s, %s, %s, %s, %s, %s, %s)
            returning log_id
            """,
            (personnel_no, period_start, decision, total, calc_hash, decided_by, comment),
        ).fetchone()
        # The lines the decider saw, so that a later change can be shown line by line.
        conn.execute(
            """
            insert into payroll.decision_lines
                (log_id, line_kind, source_event_id, ticket_id, amount_rub, explanation)
            select %s, line_kind::text, source_event_id::text, min(ticket_id), sum(amount_rub)::numeric(14, 2),
                   coalesce(string_agg(explanation, '; '), '')
            from marts.mart_bonus_lines
            where period_start = %s and personnel_no::text = %s
            group by line_kind, source_event_id
            """,
            (log_id, period_start, personnel_no),
        )
        conn.execute(
            """
            insert into payroll.bonus_approvals
                (personnel_no, period_start, amount_rub, calc_hash, status, decided_by, decided_at,
                 comment, log_id)
            select personnel_no, period_start, amount_rub, calc_hash, decision, decided_by, decided_at,
                   comment, log_id
            from payroll.approval_log where log_id = %(id)s
            on conflict (personnel_no, period_start) do update set
                amount_rub = excluded.amount_rub, calc_hash = excluded.calc_hash,
                status = excluded.status, decided_by = excluded.decided_by,
                decided_at = excluded.decided_at, comment = excluded.comment, log_id = excluded.log_id
            """,
            {"id": log_id},
        )
    return int(log_id)


def withdraw(
    conn: psycopg.Connection, *, period_start: date, personnel_no: str, withdrawn_by: str, comment: str = ""
) -> int:
    """Withdraw a not yet exported approval: the bonus is pending again; returns the approval_log id.

    Once anything of this engineer and period was exported, withdrawing would leave the paid
    money unexplained: refused (409); a rejection then makes the export correct the payment.
    """
    with conn.transaction():
        conn.execute(
            "select pg_advisory_xact_lock(hashtext('payroll.decide:' || %s || ':' || %s::text))",
            (personnel_no, period_start),
        )
        row = conn.execute(
            "select status, amount_rub, calc_hash from payroll.bonus_approvals "
            "where period_start = %s and personnel_no = %s for update",
            (period_start, personnel_no),
        ).fetchone()
        if row is None or row[0] != "approved":
            raise DecisionRefused(f"Отзывать нечего: премия табельного № {personnel_no} за "
                                  f"{period_start:%m.%Y} не утверждена.", status=409)
        exported = conn.execute(
            "select min(batch_id) from payroll.exported_lines where period_start = %s and personnel_no = %s",
            (period_start, personnel_no),
        ).fetchone()[0]
        if exported is not None:
            raise DecisionRefused(
                f"Утверждение уже выгружено (партия {exported}): отозвать его нельзя. "
                "Отклоните премию с комментарием — выгрузка передаст бухгалтерии корректировку.",
                status=409,
            )
        (log_id,) = conn.execute(
            """
            insert into payroll.approval_log
                (personnel_no, period_start, decision, amount_rub, calc_hash, decided_by, comment)
            values (%s, %s, 'withdrawn', %s, %s, %s, %s)
            returning log_id
            """,
            (personnel_no, period_start, row[1], row[2], withdrawn_by, (comment or "").strip()),
        ).fetchone()
        conn.execute("delete from payroll.bonus_approvals where period_start = %s and personnel_no = %s",
                     (period_start, personnel_no))
    return int(log_id)


@dataclass(frozen=True)
class LineChange:
    change: Literal["added", "removed", "changed", "same"]
    line_kind: str
    source_event_id: str
    ticket_id: int | None
    approved_rub: Decimal | None
    proposed_rub: Decimal | None
    explanation: str

    @property
    def difference_rub(self) -> Decimal:
        return (self.proposed_rub or Decimal("0")) - (self.approved_rub or Decimal("0"))


def changes_since(conn: psycopg.Connection, log_id: int, period_start: date, personnel_no: str) -> list[LineChange]:
    """What the decision `log_id` saw against the lines proposed now, line by line.

    Lines are matched by (line_kind, source_event_id); rules' order, then the event.
    Empty if the decision kept no lines (it predates the line snapshot).
    """
    approved = {
        (r[0], r[1]): r for r in conn.execute(
            "select line_kind, source_event_id, ticket_id, amount_rub, explanation "
            "from payroll.decision_lines where log_id = %s", (log_id,)
        ).fetchall()
    }
    if not approved:
        return []
    proposed: dict[tuple[str, str], tuple] = {}
    for ln in bonus_lines(conn, period_start, personnel_no):
        key = (ln.line_kind, ln.source_event_id)
        if key in proposed:  # the same event twice in one kind: one line of the sum
            old = proposed[key]
            proposed[key] = (*key, old[2], old[3] + ln.amount_rub, old[4])
        else:
            proposed[key] = (*key, ln.ticket_id, ln.amount_rub, ln.explanation)
    out = []
    for key in approved.keys() | proposed.keys():
        a, p = approved.get(key), proposed.get(key)
        if a is None:
            change = "added"
        elif p is None:
            change = "removed"
        else:
            change = "same" if a[3] == p[3] else "changed"
        src = p or a
        out.append(LineChange(change, key[0], key[1], src[2], a[3] if a else None, p[3] if p else None,
                              src[4] or ""))

    def order(c: LineChange) -> tuple:
        kind = LINE_KINDS.index(c.line_kind) if c.line_kind in LINE_KINDS else 99
        return (kind, c.source_event_id.encode("utf-8"))

    return sorted(out, key=order)
