{#-
  Ticket counts of the manager's cabinet (opened, closed, backlog, CSAT, SLA, load by week)
  and the data-quality «closed without in_progress» pre-aggregated for Superset: one row per
  day x engineer x client. A row holds two views of the day (date_trunc('day', ...) in the
  session time zone, the one Superset's time filters use):
    * by creation day: tickets_opened, tickets_open (still open now), closed_without_progress
      (completed, never in in_progress) — the dataset's `created_at`;
    * by completion day: tickets_closed, csat_sum / csat_count, sla_met / sla_count — the
      dataset's `completed_at` (open tickets have no CSAT and no SLA outcome, see
      int_tickets_enriched, so nothing is lost by counting those by completion day).
  avg(csat) = sum(csat_sum) / sum(csat_count) and the SLA share = sum(sla_met) / sum(sla_count)
  give the same numeric as avg() over fct_tickets (same division of the same sum and count).

  Incremental (delete+insert by day): the creation and completion days of every ticket
  rebuilt in fct_tickets since this table's previous build (the recorded-run cutoff of
  macros/incremental.sql, not a wall-clock window) are recomputed from fct_tickets
  (fct_tickets never drops a ticket: a deleted one stays with is_deleted, as in v_tickets).
-#}
{{
    config(
        materialized='incremental',
        unique_key='day',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        indexes=[{'columns': ['day']}, {'columns': ['_batch_at']}],
        post_hook="{{ record_incremental_run() }}",
    )
}}

with

{% if is_incremental() %}
changed as (
    select t.created_at, t.completed_at
    from {{ ref('fct_tickets') }} t
    where t._source_loaded_at >= {{ cutoff_literal() }}
),

refresh_days as materialized (
    select date_trunc('day', created_at) as day from changed where created_at is not null
    union
    select date_trunc('day', completed_at) from changed where completed_at is not null
),

-- the tickets created / completed on a refresh day, as ranges [day, day + 1 day) in the
-- session time zone (exactly date_trunc('day', ...) = day) so the indexes on created_at and
-- completed_at are used; `date_trunc('day', created_at) in (...)` read all of fct_tickets
-- (1.3M rows, 1.0 of 1.1 s on large, 2026-11-22)
created_tickets as (
    select t.*
    from refresh_days r
    join {{ ref('fct_tickets') }} t
      on t.created_at >= r.day and t.created_at < r.day + interval '1 day'
),

completed_tickets as (
    select t.*
    from refresh_days r
    join {{ ref('fct_tickets') }} t
      on t.completed_at >= r.day and t.completed_at < r.day + interval '1 day'
),
{% else %}
created_tickets as (
    select * from {{ ref('fct_tickets') }}
),

completed_tickets as (
    select * from {{ ref('fct_tickets') }}
),
{% endif %}

parts as (
    select
        date_trunc('day', created_at) as day,
        personnel_no,
        client_inn,
        1 as tickets_opened,
        case when completed_at is null then 1 else 0 end as tickets_open,
        case when completed_at is not null and passed_in_progress is false then 1 else 0 end
            as closed_without_progress,
        0 as tickets_closed,
        null::integer as csat,
        null::numeric as sla_met,
        _source_loaded_at
    from created_tickets
    where created_at is not null

    union all

    select
        date_trunc('day', completed_at) as day,
        personnel_no,
        client_inn,
        0, 0, 0,
        1 as tickets_closed,
        csat,
        case when sla_resolution_met then 1.0 when not sla_resolution_met then 0.0 end as sla_met,
        _source_loaded_at
    from completed_tickets
    where completed_at is not null
)

select
    day,
    personnel_no,
    client_inn,
    sum(tickets_opened) as tickets_opened,
    sum(tickets_open) as tickets_open,
    sum(closed_without_progress) as closed_without_progress,
    sum(tickets_closed) as tickets_closed,
    sum(csat) as csat_sum,
    count(csat) as csat_count,
    sum(sla_met) as sla_met,
    count(sla_met) as sla_count,
    max(_source_loaded_at) as _source_loaded_at,
    now() as _batch_at
from parts
group by 1, 2, 3
-- ordered by day: a period filter reads contiguous pages
order by 1
