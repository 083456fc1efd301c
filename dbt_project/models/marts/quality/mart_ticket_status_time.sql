{{ config(indexes=[{'columns': ['ticket_id']}]) }}
-- Time in status (docs/marts.md "Service quality"): per ticket and status, the hours it spent
-- in that status over all its visits (a reopened ticket comes back to opened / in_progress:
-- visits > 1), from the status history (int_ticket_status_transitions: each change with its
-- moment). A visit lasts from its change to the ticket's next change; the visit still going on
-- (the ticket's current status) lasts to as_of (the newest status change in the warehouse: the
-- data's "now"), except in the final statuses completed and closed, where the ticket waits for
-- nothing (no hours counted, is_current still true). Deleted tickets are left out.
with

changes as (
    select t.ticket_id, t.status_code, t.changed_at, t.change_seq
    from {{ ref('int_ticket_status_transitions') }} as t
),

as_of as (
    select max(changed_at) as as_of from changes
),

visits as (
    select
        changes.ticket_id,
        changes.status_code,
        changes.changed_at as entered_at,
        lead(changes.changed_at) over (partition by changes.ticket_id order by changes.changed_at, changes.change_seq)
            as left_at
    from changes
),

measured as (
    select
        visits.*,
        visits.left_at is null as is_current,
        case
            when visits.left_at is not null then extract(epoch from visits.left_at - visits.entered_at) / 3600
            when visits.status_code in ('completed', 'closed') then 0
            else extract(epoch from as_of.as_of - visits.entered_at) / 3600
        end as hours
    from visits
    cross join as_of
)

select
    m.ticket_id,
    m.status_code,
    count(*) as visits,
    round(sum(m.hours), 2)::numeric(14, 2) as hours_in_status,
    bool_or(m.is_current) as is_current,
    max(m.entered_at) as last_entered_at,
    round(sum(m.hours) filter (where m.is_current), 2)::numeric(14, 2) as current_visit_hours,
    min(as_of.as_of) as as_of,
    f.personnel_no,
    f.team_id,
    f.work_type,
    f.client_inn,
    f.created_at,
    {{ marts_period('f.created_at') }} as period_start
from measured as m
cross join as_of
join {{ ref('fct_tickets') }} as f on f.ticket_id = m.ticket_id and not coalesce(f.is_deleted, false)
group by m.ticket_id, m.status_code, f.personnel_no, f.team_id, f.work_type, f.client_inn, f.created_at
