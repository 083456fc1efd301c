"""Adjustment rows instead of second payments; every payroll history table append-only.

- `exported_lines` gains `kind` (`bonus` | `adjustment`) and `corrects_batch`; one
  calculation may now appear more than once (approved, rejected, approved again: paid,
  reversed, paid again), so the unique (engineer, period, calc_hash) goes; each decision
  (`log_id`) is still exported at most once.
- Delivery moves out of `export_batches` into `batch_deliveries`, so that a batch row is
  never updated once written.
- `export_batches`, `exported_lines` and `batch_deliveries` refuse UPDATE, DELETE and
  TRUNCATE (approval_log already does): a `truncate ... cascade` can no longer erase what
  was paid and make the next run pay it again.

Revision ID: 0002_adjustments
Revises: 0001
Create Date: 2026-12-08
"""

from __future__ import annotations

from alembic import op

revision = "0002_adjustments"
down_revision = "0001"
branch_labels = None
depends_on = None

UPGRADE = """
create table payroll.batch_deliveries (
    batch_id      bigint primary key references payroll.export_batches (batch_id),
    delivered_at  timestamptz not null default now()
);
comment on table payroll.batch_deliveries is
    'A batch whose CSV is in place under its final name; a batch without a row here is restored by the next run.';
insert into payroll.batch_deliveries (batch_id, delivered_at)
select batch_id, delivered_at from payroll.export_batches where delivered_at is not null;
alter table payroll.export_batches drop column delivered_at;

alter table payroll.exported_lines
    add column kind text not null default 'bonus' check (kind in ('bonus', 'adjustment')),
    add column corrects_batch bigint references payroll.export_batches (batch_id),
    drop constraint exported_lines_personnel_no_period_start_calc_hash_key;
alter table payroll.exported_lines alter column kind drop default;
alter table payroll.exported_lines add constraint exported_lines_adjustment_corrects_a_batch
    check ((kind = 'adjustment') = (corrects_batch is not null));
create index exported_lines_engineer_period on payroll.exported_lines (personnel_no, period_start);
comment on table payroll.exported_lines is
    'What each batch paid, signed; the sum per engineer and period is what payroll has paid. '
    'Each decision (log_id) is exported at most once.';

create trigger exported_lines_no_truncate
    before truncate on payroll.exported_lines
    for each statement execute function payroll.refuse_change();
create trigger export_batches_append_only
    before update or delete on payroll.export_batches
    for each row execute function payroll.refuse_change();
create trigger export_batches_no_truncate
    before truncate on payroll.export_batches
    for each statement execute function payroll.refuse_change();
create trigger batch_deliveries_append_only
    before update or delete on payroll.batch_deliveries
    for each row execute function payroll.refuse_change();
create trigger batch_deliveries_no_truncate
    before truncate on payroll.batch_deliveries
    for each statement execute function payroll.refuse_change();
"""

# Only possible while no calculation was exported twice (the unique constraint comes back).
DOWNGRADE = """
drop trigger export_batches_append_only on payroll.export_batches;
drop trigger export_batches_no_truncate on payroll.export_batches;
drop trigger exported_lines_no_truncate on payroll.exported_lines;
alter table payroll.export_batches add column delivered_at timestamptz;
update payroll.export_batches b set delivered_at = d.delivered_at
from payroll.batch_deliveries d where d.batch_id = b.batch_id;
drop table payroll.batch_deliveries;
drop index payroll.exported_lines_engineer_period;
alter table payroll.exported_lines
    drop constraint exported_lines_adjustment_corrects_a_batch,
    drop column corrects_batch,
    drop column kind,
    add constraint exported_lines_personnel_no_period_start_calc_hash_key
        unique (personnel_no, period_start, calc_hash);
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
