"""The payroll schema: approvals, the append-only decision log, export batches and lines.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

UPGRADE = """
create table payroll.approval_log (
    log_id        bigint generated always as identity primary key,
    personnel_no  text not null,
    period_start  date not null check (extract(day from period_start) = 1),
    decision      text not null check (decision in ('approved', 'rejected')),
    amount_rub    numeric(14, 2) not null,
    calc_hash     text not null check (calc_hash ~ '^[0-9a-f]{64}$'),
    decided_by    text not null,
    decided_at    timestamptz not null default now(),
    comment       text not null default ''
);
comment on table payroll.approval_log is
    'Every approval decision, append-only: a trigger refuses UPDATE, DELETE and TRUNCATE.';

create function payroll.refuse_change() returns trigger language plpgsql as $$
begin
    raise exception 'payroll.% is append-only: % refused', tg_table_name, tg_op
        using errcode = 'P0001';
end
$$;

create trigger approval_log_append_only
    before update or delete on payroll.approval_log
    for each row execute function payroll.refuse_change();
create trigger approval_log_no_truncate
    before truncate on payroll.approval_log
    for each statement execute function payroll.refuse_change();

create table payroll.bonus_approvals (
    personnel_no  text not null,
    period_start  date not null check (extract(day from period_start) = 1),
    amount_rub    numeric(14, 2) not null,
    calc_hash     text not null check (calc_hash ~ '^[0-9a-f]{64}$'),
    status        text not null check (status in ('approved', 'rejected')),
    decided_by    text not null,
    decided_at    timestamptz not null,
    comment       text not null default '',
    log_id        bigint not null unique references payroll.approval_log (log_id),
    primary key (personnel_no, period_start)
);
comment on table payroll.bonus_approvals is
    'The current decision per engineer and period; amount and calc_hash are pinned at decision time.';

create table payroll.export_batches (
    batch_id       bigint generated always as identity primary key,
    period_start   date not null,
    file_name      text not null unique,
    out_dir        text not null,
    row_count      integer not null check (row_count > 0),
    control_total  numeric(14, 2) not null,
    sha256         text not null,
    created_at     timestamptz not null default now(),
    created_by     text not null,
    delivered_at   timestamptz
);
comment on column payroll.export_batches.delivered_at is
    'Set once the CSV is in place under its final name; null = the next export run restores it.';

create table payroll.exported_lines (
    batch_id      bigint not null references payroll.export_batches (batch_id),
    line_no       integer not null,
    log_id        bigint not null unique references payroll.approval_log (log_id),
    personnel_no  text not null,
    full_name     text not null,
    period_start  date not null,
    amount_rub    numeric(14, 2) not null,
    approved_by   text not null,
    approved_at   timestamptz not null,
    calc_hash     text not null,
    primary key (batch_id, line_no),
    unique (personnel_no, period_start, calc_hash)
);
comment on table payroll.exported_lines is
    'What each batch paid: one approval (engineer, period, calc_hash) is exported at most once.';

create trigger exported_lines_append_only
    before update or delete on payroll.exported_lines
    for each row execute function payroll.refuse_change();
"""

DOWNGRADE = """
drop table payroll.exported_lines;
drop table payroll.export_batches;
drop table payroll.bonus_approvals;
drop table payroll.approval_log;
drop function payroll.refuse_change();
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
