{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='append_new_columns',
        pre_hook="{% if is_incremental() %}delete from {{ this }} where ticket_id in (
            select ticket_id from {{ ref('stg_helpdesk__status_changes') }}
            where {{ changed_records('_last_loaded_at') }} and ticket_id is not null){% endif %}",
        post_hook="{{ record_incremental_run() }}",
        indexes=[{'columns': ['status_change_id'], 'unique': True}, {'columns': ['ticket_id']}],
    )
}}
-- A table, not a view: facts, events and data-quality marts read it several times.
-- Incremental by ticket: a run recomputes the whole history of every ticket that has a
-- status change loaded since the cutoff (docs/incremental.md; the pre-hook deletes those
-- tickets' rows, the run appends them again), so a ticket whose history lost a row is right too.
-- Status history as transitions: each change with the status before it (ordered by
-- changed_at, then id), and the flags the ticket facts are built from:
--   is_first_in_progress  the ticket's first change to in_progress (taken_at)
--   is_first_completion   the ticket's first change to completed (completion)
--   is_reopen             completed/closed -> opened/in_progress/delayed
with

changes as (
    select *
    from {{ ref('stg_helpdesk__status_changes') }}
    where vanished_at is null and ticket_id is not null and changed_at is not null
    {%- if is_incremental() %}
      and ticket_id in (select ticket_id from {{ ref('stg_helpdesk__status_changes') }}
                        where {{ changed_records('_last_loaded_at') }} and ticket_id is not null)
    {%- endif %}
),

ordered as (
    select
        *,
        lag(status_code) over by_ticket as previous_status,
        row_number() over by_ticket as change_seq,
        count(*) filter (where status_code = 'in_progress') over by_ticket_to_here as in_progress_seen,
        count(*) filter (where status_code = 'completed') over by_ticket_to_here as completed_seen
    from changes
    window
        by_ticket as (partition by ticket_id order by changed_at, status_change_id),
        by_ticket_to_here as (
            partition by ticket_id order by changed_at, status_change_id
            rows between unbounded preceding and current row
        )
)

select
    status_change_id,
    ticket_id,
    status_code,
    previous_status,
    changed_at,
    author_employee_id,
    change_seq,
    status_code = 'in_progress' and in_progress_seen = 1 as is_first_in_progress,
    status_code = 'completed' and completed_seen = 1 as is_first_completion,
    coalesce(previous_status in ('completed', 'closed')
        and status_code in ('opened', 'in_progress', 'delayed'), false) as is_reopen,
    _last_loaded_at
from ordered
