{#-
  Money of the manager's cabinet («Выручка», «Затраты», «Маржа») pre-aggregated for Superset:
  one row per day (date_trunc('day', occurred_at) in the session time zone, the same one
  Superset's time filters use, so a day-aligned period gives exactly the sums of fct_events)
  x engineer x client. Only events that carry money are read (event types below).

  Incremental (delete+insert by day): a run rebuilds
    * every day of a money event whose source record was loaded within the lookback window
      (fct_events re-inserts the events of a changed record with its new _source_loaded_at);
    * the trailing `dashboard_window_days` days, so events deleted upstream (a deleted time
      entry, a deletion-marked invoice) disappear from recent days too.
  A rebuilt day left with no event gets one marker row (null engineer and client, null sums)
  so delete+insert still clears it; sums ignore it. agg_money_monthly rolls this table up.
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
{%- set money_event_types = var('dashboard_money_event_types', ['work_logged', 'shift_worked', 'invoice_posted']) -%}
{%- set type_list = "('" ~ money_event_types | join("', '") ~ "')" -%}

with

{% if is_incremental() %}
bounds as (
    select max(day) - interval '{{ var("dashboard_window_days", 35) }} days' as window_start
    from {{ this }}
),

-- the cutoff inlined as a literal (cutoff_literal()): behind a CTE column the planner
-- walked the whole _source_loaded_at index of fct_events (2.8M rows, 4 s on large)
-- materialized: read through the _source_loaded_at index alone (a night's ~70k events), then
-- filter the type; otherwise the planner ANDed in the (event_type, occurred_at) index and
-- walked 2.9M entries of it (0.32 s of 0.67 s on large, 2026-11-22)
recent_events as materialized (
    select ev.occurred_at, ev.event_type
    from {{ ref('fct_events') }} ev
    where ev._source_loaded_at >= {{ cutoff_literal() }}
),

changed_days as (
    select distinct date_trunc('day', ev.occurred_at) as day
    from recent_events ev
    where ev.event_type in {{ type_list }}
      and ev.occurred_at is not null
),

refresh_days as materialized (
    select day from changed_days
    union
    select generate_series(b.window_start, date_trunc('day', now()) + interval '1 day', interval '1 day')
    from bounds b
    where b.window_start is not null
),

events as (
    select ev.*
    from refresh_days r
    join {{ ref('fct_events') }} ev
      on ev.event_type in {{ type_list }}
     and ev.occurred_at >= r.day and ev.occurred_at < r.day + interval '1 day'
),
{% else %}
events as (
    select * from {{ ref('fct_events') }}
    where event_type in {{ type_list }}
),
{% endif %}

daily as (
    select
        date_trunc('day', occurred_at) as day,
        personnel_no,
        client_inn,
        sum(revenue_rub) as revenue_rub,
        sum(cost_rub) as cost_rub,
        count(*) as money_events,
        max(_source_loaded_at) as _source_loaded_at
    from events
    where revenue_rub is not null or cost_rub is not null
    group by 1, 2, 3
)

-- ordered by day: a period filter reads contiguous pages
select * from (
select *, now() as _batch_at from daily
{% if is_incremental() %}
union all
select r.day, null, null, null, null, 0, null, now()
from refresh_days r
where not exists (select from daily d where d.day = r.day)
  -- one probe per refresh day on the index of day (not a scan of the table)
  and (select true from {{ this }} t where t.day = r.day limit 1)
{% endif %}
) rows
order by day
