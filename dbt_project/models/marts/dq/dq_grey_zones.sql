{{
    config(
        materialized='incremental',
        unique_key=['check_name', 'source_key'],
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        indexes=[{'columns': ['check_name', 'source_key']}, {'columns': ['ticket_id']}],
        post_hook=["delete from {{ this }} where source_system = '_marker'", "{{ record_incremental_run() }}"],
    )
}}
-- depends_on: {{ ref('stg_onec__points_prices') }}
-- depends_on: {{ ref('int_time_entries_enriched') }}
-- Facts that are kept but need a person to look at them (check_name):
--   completed_without_in_progress  completed with no in_progress change before completion
--   missing_complexity / missing_work_type / missing_site  mandatory ticket fields empty
--                                  (bonus rule 1 takes a missing complexity as 2)
--   time_entry_on_closed_ticket    logged while the ticket's status was closed
--   shift_without_ticket_activity  a worked shift with no ticket event or time entry of
--                                  the engineer between its actual start and end
--   work_type_not_in_price_list    a completed ticket whose work type has no points price
--                                  at completion (bonus rule 1 gives 0 points)
--
-- Incremental (delete+insert by (check_name, source_key); docs/marts.md "Incremental data
-- quality"): with the recorded-run cutoff, a run recomputes
--   * the ticket checks of the tickets rebuilt in fct_tickets since the cutoff (C: a ticket's
--     fields, status history and assignee all move its _source_loaded_at; a deleted ticket
--     stays there flagged);
--   * time_entry_on_closed_ticket for the entries of C and the entries rebuilt in
--     int_time_entries_enriched since the cutoff (deleted ones too: fct_time_entries drops them);
--   * shift_without_ticket_activity for the shifts dq_shift_activity (re)wrote since the
--     cutoff (it keeps every shift, and every worked shift's first help-desk event, and
--     re-probes only the shifts whose answer may have changed: see there). Until 2026-11-22
--     every worked shift was re-probed every night (322,647 probes on large: 13.1 s of the
--     nightly on the 2-core shared machine; 4.6 s -> 0.6 s for both models, same conditions).
-- Every recomputed key that had a row gets a marker row (source_system '_marker') so
-- delete+insert clears it; the post-hook deletes the markers. Without a recorded run, or
-- after a change of the 1C points prices, a run recomputes everything.
{#- mode: full (a full build, or no recorded run: cutoff -infinity), rebuild (the points
    prices moved since the cutoff: everything, replacing the table's rows), changes -#}
{%- set cutoff = cutoff_literal() -%}
{%- set mode = 'full' -%}
{%- if is_incremental() and execute -%}
    {%- set q -%}
        select {{ cutoff }} = '-infinity' or exists (
            select 1 from {{ ref('stg_onec__points_prices') }} where _last_loaded_at >= {{ cutoff }})
    {%- endset -%}
    {%- set mode = 'rebuild' if run_query(q).columns[0].values()[0] else 'changes' -%}
{%- endif %}
with

{% if mode == 'changes' %}
changed_tickets as materialized (
    select ticket_id from {{ ref('fct_tickets') }} where _source_loaded_at >= {{ cutoff }}
),

changed_entries as materialized (
    select time_entry_id from {{ ref('int_time_entries_enriched') }} where _source_loaded_at >= {{ cutoff }}
    union
    select time_entry_id from {{ ref('fct_time_entries') }}
    where ticket_id = any(array(select ticket_id from changed_tickets))
),
{% endif %}

tickets as (
    select * from {{ ref('fct_tickets') }} where not is_deleted
    {%- if mode == 'changes' %}
      and ticket_id = any(array(select ticket_id from changed_tickets))
    {%- endif %}
),

status_spans as (
    -- each status of a ticket from its change until the next one
    select
        ticket_id,
        status_code,
        changed_at as span_start,
        lead(changed_at) over (partition by ticket_id order by changed_at, status_change_id) as span_end
    from {{ ref('int_ticket_status_transitions') }}
    {%- if mode == 'changes' %}
    where ticket_id = any(array(select distinct te.ticket_id from {{ ref('fct_time_entries') }} as te
                                where te.time_entry_id = any(array(select time_entry_id from changed_entries))))
    {%- endif %}
),

closed_entries as (
    select te.*
    from {{ ref('fct_time_entries') }} as te
    join status_spans as sp
        on sp.ticket_id = te.ticket_id
       and sp.status_code = 'closed'
       and te.logged_at >= sp.span_start
       and (sp.span_end is null or te.logged_at < sp.span_end)
    {%- if mode == 'changes' %}
    where te.time_entry_id = any(array(select time_entry_id from changed_entries))
    {%- endif %}
),

-- A worked shift is active when the engineer has a help-desk event between its actual start
-- and end: dq_shift_activity keeps every worked shift with its first such event (null: none)
-- and re-probes in a nightly only the shifts whose answer may have changed; the shifts it
-- (re)wrote since the cutoff are rechecked here.
inactive_shifts as (
    select s.shift_id, s.personnel_no, s.shift_type, s.actual_start, s.actual_end
    from {{ ref('dq_shift_activity') }} as s
    where s.worked and s.first_activity_at is null
    {%- if mode == 'changes' %}
      and s._batch_at >= {{ cutoff }}
    {%- endif %}
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
    from inactive_shifts as s

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
{%- if mode != 'full' %}
union all
-- markers: the recomputed keys that had a row (delete+insert clears them; the post-hook drops
-- the markers); in a nightly read through the (check_name, source_key) index per kind of key
select check_name, '_marker', source_key, null::bigint, null, null
from {{ this }}
{%- if mode == 'changes' %}
where check_name = 'shift_without_ticket_activity'
  -- a semi-join (as `= any(array(...))` the planner filtered every flagged shift by a linear
  -- search of the array: 1.3 s)
  and source_key in (select shift_id from {{ ref('dq_shift_activity') }} where _batch_at >= {{ cutoff }})
union all
select check_name, '_marker', source_key, null::bigint, null, null
from {{ this }}
where check_name = any(array['completed_without_in_progress', 'missing_complexity', 'missing_work_type',
                             'missing_site', 'work_type_not_in_price_list'])
  and source_key = any(array(select ticket_id::text from changed_tickets))
union all
select check_name, '_marker', source_key, null::bigint, null, null
from {{ this }}
where check_name = 'time_entry_on_closed_ticket'
  and source_key = any(array(select time_entry_id::text from changed_entries))
{%- endif %}
{%- endif %}
