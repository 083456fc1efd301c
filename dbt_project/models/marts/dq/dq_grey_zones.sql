-- Facts that are kept but need a person to look at them (check_name):
--   completed_without_in_progress  completed with no in_progress change before completion
--   missing_complexity / missing_work_type / missing_site  mandatory ticket fields empty
--                                  (bonus rule 1 takes a missing complexity as 2)
--   time_entry_on_closed_ticket    logged while the ticket's status was closed
--   shift_without_ticket_activity  a worked shift with no ticket event or time entry of
--                                  the engineer between its actual start and end
--   work_type_not_in_price_list    a completed ticket whose work type has no points price
--                                  at completion (bonus rule 1 gives 0 points)
with

tickets as (
    select * from {{ ref('fct_tickets') }} where not is_deleted
),

status_spans as (
    -- each status of a ticket from its change until the next one
    select
        ticket_id,
        status_code,
        changed_at as span_start,
        lead(changed_at) over (partition by ticket_id order by changed_at, status_change_id) as span_end
    from {{ ref('int_ticket_status_transitions') }}
),

closed_entries as (
    select te.*
    from {{ ref('fct_time_entries') }} as te
    join status_spans as sp
        on sp.ticket_id = te.ticket_id
       and sp.status_code = 'closed'
       and te.logged_at >= sp.span_start
       and (sp.span_end is null or te.logged_at < sp.span_end)
),

worked_shifts as (
    select *
    from {{ ref('fct_shifts') }}
    where status = 'worked' and not is_deleted
      and actual_start is not null and actual_end is not null
),

-- A shift is active when the engineer has a help-desk event between its actual start and
-- end: one probe per shift on fct_events' (personnel_no, occurred_at) index, instead of
-- sorting every help-desk event of the warehouse (tens of millions on `large`) for a join.
active_shifts as (
    select s.shift_id
    from worked_shifts as s
    where exists (
        select 1
        from {{ ref('fct_events') }} as a
        where a.personnel_no = s.personnel_no
          and a.occurred_at >= s.actual_start
          and a.occurred_at < s.actual_end
          and a.source_system = 'helpdesk'
    )
),

checks as (
    select 'completed_without_in_progress' as check_name, 'helpdesk' as source_system,
        ticket_id::text as source_key, ticket_id, personnel_no,
        'completed at ' || completed_at || ' without passing in_progress' as detail
    from tickets
    where completed_at is not null and not passed_in_progress

    union all
    select 'missing_complexity', 'helpdesk', ticket_id::text, ticket_id, personnel_no,
        'complexity is empty (taken as 2 for the bonus)'
    from tickets where complexity is null

    union all
    select 'missing_work_type', 'helpdesk', ticket_id::text, ticket_id, personnel_no,
        'work type is empty'
    from tickets where work_type is null

    union all
    select 'missing_site', 'helpdesk', ticket_id::text, ticket_id, personnel_no,
        'service object (site) is empty'
    from tickets where site_id is null

    union all
    select 'time_entry_on_closed_ticket', 'helpdesk', te.time_entry_id::text, te.ticket_id,
        te.personnel_no,
        te.hours || ' h logged at ' || te.logged_at || ' while the ticket was closed'
    from closed_entries as te

    union all
    select 'shift_without_ticket_activity', 'schedule', s.shift_id, null::bigint, s.personnel_no,
        s.shift_type || ' shift ' || s.actual_start || ' - ' || s.actual_end || ' with no ticket activity'
    from worked_shifts as s
    where not exists (select 1 from active_shifts as a where a.shift_id = s.shift_id)

    union all
    select 'work_type_not_in_price_list', 'helpdesk', t.ticket_id::text, t.ticket_id, t.personnel_no,
        'work type ' || coalesce(t.work_type, '(empty)') || ' has no points price at ' || t.completed_at
    from tickets as t
    where t.completed_at is not null
      and not exists (
          select 1 from {{ ref('dim_points_prices') }} as pp
          where pp.work_type = t.work_type and {{ in_force('pp', 't.completed_at') }}
      )
)

select check_name, source_system, source_key, ticket_id, personnel_no, detail
from checks
