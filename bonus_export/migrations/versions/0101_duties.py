"""Who may decide: accounts linked to personnel numbers, the teams each account manages,
refused attempts, the lines each decision saw, and withdrawn approvals.

Revision ID: 0101
Revises: 0001
Create Date: 2026-12-08
"""

from __future__ import annotations

from alembic import op

revision = "0101"
down_revision = "0002_adjustments"
branch_labels = None
depends_on = None

UPGRADE = """
create table payroll.account_people (
    username      text primary key,
    personnel_no  text not null unique
);
comment on table payroll.account_people is
    'Explicit link of a Superset account to a 1C personnel number; without a row the link is by e-mail '
    '(ab_user.email = marts.dim_engineers.email, case-insensitive).';

create table payroll.team_managers (
    username   text not null,
    team_name  text not null,
    primary key (username, team_name)
);
comment on table payroll.team_managers is
    'The teams (marts.dim_engineers.team_name) each account manages; the role Head decides across all teams.';

create table payroll.refused_attempts (
    attempt_id    bigint generated always as identity primary key,
    attempted_at  timestamptz not null default now(),
    username      text not null,
    action        text not null,
    personnel_no  text,
    period_start  date,
    reason        text not null
);
comment on table payroll.refused_attempts is
    'Every refused decision, withdrawal or export on the approvals page, append-only.';
create trigger refused_attempts_append_only
    before update or delete on payroll.refused_attempts
    for each row execute function payroll.refuse_change();
create trigger refused_attempts_no_truncate
    before truncate on payroll.refused_attempts
    for each statement execute function payroll.refuse_change();

create table payroll.decision_lines (
    log_id           bigint not null references payroll.approval_log (log_id),
    line_kind        text not null,
    source_event_id  text not null,
    ticket_id        bigint,
    amount_rub       numeric(14, 2) not null,
    explanation      text not null default '',
    primary key (log_id, line_kind, source_event_id)
);
comment on table payroll.decision_lines is
    'The bonus lines a decision saw (their calc_hash is the decision''s): what was approved, line by line.';
create trigger decision_lines_append_only
    before update or delete on payroll.decision_lines
    for each row execute function payroll.refuse_change();

alter table payroll.approval_log drop constraint approval_log_decision_check;
alter table payroll.approval_log add constraint approval_log_decision_check
    check (decision in ('approved', 'rejected', 'withdrawn'));
"""

DOWNGRADE = """
alter table payroll.approval_log drop constraint approval_log_decision_check;
alter table payroll.approval_log add constraint approval_log_decision_check
    check (decision in ('approved', 'rejected'));
drop table payroll.decision_lines;
drop table payroll.refused_attempts;
drop table payroll.team_managers;
drop table payroll.account_people;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
