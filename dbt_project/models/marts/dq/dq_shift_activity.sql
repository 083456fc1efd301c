{{
    config(
        materialized='incremental',
        unique_key='shift_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        indexes=[{'columns': ['shift_id'], 'unique': True}, {'columns': ['personnel_no', 'actual_end']},
                 {'columns': ['first_activity_record_key']}, {'columns': ['_batch_at']}],
        post_hook=["{{ record_incremental_run() }}"],
    )
}}
-- depends_on: {{ ref('int_tickets_enriched') }}
-- depends_on: {{ ref('int_time_entries_enriched') }}
-- depends_on: {{ ref('int_shifts_enriched') }}
-- Internal state of dq_grey_zones' check shift_without_ticket_activity (not for dashboards):
-- every shift of fct_shifts with `worked` (status worked, not deleted, actual start and end
-- known) and, for a worked shift, its FIRST help-desk event between its actual start and end
-- (by occurred_at, then event_id; null = no activity: the shift is a grey zone) and the
-- source record that event comes from. Shifts that are not worked are kept (worked false),
-- so a shift that stops being worked is a row rewritten here, which dq_grey_zones sees.
-- The first event is canonical, so a nightly leaves the same rows as a full build.
--
-- Why: the check is one index probe of fct_events per worked shift (322,647 probes, 2.7 s
-- alone and 13 s of the 2026-11-22 large nightly with the rewrite of every flagged shift);
-- with this state a nightly probes only the shifts whose answer may have changed.
--
-- Incremental (docs/marts.md "Incremental data quality"), with the recorded-run cutoff, a
-- run re-probes the shifts
--   (a) rebuilt in int_shifts_enriched since the cutoff (new or changed: fct_shifts is a
--       projection of it, whose rows move only with their _source_loaded_at, apart from
--       money; neither ever drops a shift);
--   (b) whose first event's record (ticket or time entry) changed since the cutoff: that
--       event may have left (reassigned, re-timed, deleted); the changed records are those
--       of int_tickets_enriched / int_time_entries_enriched loaded since the cutoff (every
--       input of a ticket's or entry's events moves their _source_loaded_at) and those with
--       events rebuilt in fct_events since it;
--   (c) that contain a help-desk event loaded since the cutoff (it may be the new first one,
--       or the first activity of a shift that had none): index (personnel_no, actual_end).
-- Every other shift keeps its first event: its record did not change, and no event appeared.
-- _batch_at: when the row was written (dq_grey_zones rechecks the rows written since its cutoff).
{%- set fct_events = ref('fct_events') -%}
{#- without a recorded run (cutoff -infinity) every shift is probed, as in a full build -#}
{%- set cutoff = cutoff_literal() -%}
{%- set incremental = is_incremental() and execute and cutoff != "'-infinity'::timestamptz" %}
with

shifts as not materialized (
    -- inlined: a nightly reads only the shifts it checks (unique index on shift_id)
    select shift_id, personnel_no, shift_type, actual_start, actual_end,
        coalesce(status = 'worked' and not is_deleted
                 and actual_start is not null and actual_end is not null, false) as worked
    from {{ ref('fct_shifts') }}
),

{% if incremental %}
changed_records as materialized (
    select 'helpdesk:ticket:' || ticket_id as record_key
    from {{ ref('int_tickets_enriched') }} where _source_loaded_at >= {{ cutoff }}
    union
    select 'helpdesk:time_entry:' || time_entry_id
    from {{ ref('int_time_entries_enriched') }} where _source_loaded_at >= {{ cutoff }}
    union
    select source_record_key from {{ fct_events }}
    where _source_loaded_at >= {{ cutoff }} and source_system = 'helpdesk'
),

new_events as materialized (
    select personnel_no, occurred_at
    from {{ fct_events }}
    where _source_loaded_at >= {{ cutoff }} and source_system = 'helpdesk' and personnel_no is not null
),

to_check as materialized (
    -- (a)
    select shift_id from {{ ref('int_shifts_enriched') }} where _source_loaded_at >= {{ cutoff }}
    union
    -- (b)
    select p.shift_id from {{ this }} as p
    where p.first_activity_record_key in (select record_key from changed_records)
    union
    -- (c)
    select p.shift_id
    from new_events as e
    join {{ this }} as p
      on p.personnel_no = e.personnel_no
     and p.actual_end > e.occurred_at
     and p.actual_start <= e.occurred_at
),
{% endif %}

checked as (
    select
        s.shift_id,
        s.personnel_no,
        s.shift_type,
        s.actual_start,
        s.actual_end,
        s.worked,
        f.occurred_at as first_activity_at,
        f.event_id as first_activity_event_id,
        f.source_record_key as first_activity_record_key
    from shifts as s
    -- one probe per shift on fct_events' (personnel_no, occurred_at) index
    left join lateral (
        select a.occurred_at, a.event_id, a.source_record_key
        from {{ fct_events }} as a
        where s.worked
          and a.personnel_no = s.personnel_no
          and a.occurred_at >= s.actual_start
          and a.occurred_at < s.actual_end
          and a.source_system = 'helpdesk'
        order by a.occurred_at, a.event_id
        limit 1
    ) as f on true
    {%- if incremental %}
    where s.shift_id = any(array(select shift_id from to_check))
    {%- endif %}
)

select *, '{{ run_started_at.isoformat() }}'::timestamptz as _batch_at
from checked
