{#-
  Period-incremental marts (docs/incremental.md "How a late fact reaches its period").

  The per-period marts (KPI month/week, load index, SLA, bonus lines/summary, client
  profitability) are incremental with delete+insert on their period key: a run recomputes
  the periods some changed row can reach (the cutoff rule of macros/incremental.sql, the
  model's own recorded run) and replaces those periods whole.
-#}

{#- One row: as_of_at (newest activity of the warehouse: the KPI's as_of, provisional repeat
    share) and first_at (oldest: the first period). Every bound is its own max/min subquery,
    one probe of an index each (fct_shifts has a partial expression index on
    coalesce(actual_start, planned_start) where status = 'worked'). -#}
{% macro marts_activity_bounds() -%}
    (select
        greatest(
            (select max(created_at) from {{ ref('fct_tickets') }} where not coalesce(is_deleted, false)),
            (select max(completed_at) from {{ ref('fct_tickets') }} where not coalesce(is_deleted, false)),
            (select max(logged_at) from {{ ref('fct_time_entries') }}),
            (select max(coalesce(actual_start, planned_start)) from {{ ref('fct_shifts') }} where status = 'worked')
        ) as as_of_at,
        least(
            (select min(created_at) from {{ ref('fct_tickets') }} where not coalesce(is_deleted, false)),
            (select min(completed_at) from {{ ref('fct_tickets') }} where not coalesce(is_deleted, false)),
            (select min(logged_at) from {{ ref('fct_time_entries') }}),
            (select min(coalesce(actual_start, planned_start)) from {{ ref('fct_shifts') }} where status = 'worked')
        ) as first_at)
{%- endmacro %}

{#- Refs marts_touched() reads, declared for dbt's dependency graph (call in the model); the
    small dimensions too: a period mart is built after every dimension it may recompute from. -#}
{% macro marts_incremental_depends_on() -%}
-- depends_on: {{ ref('fct_tickets') }}
-- depends_on: {{ ref('fct_time_entries') }}
-- depends_on: {{ ref('fct_shifts') }}
-- depends_on: {{ ref('int_time_entries_enriched') }}
-- depends_on: {{ ref('int_helpdesk_employees_matched') }}
-- depends_on: {{ ref('dim_engineers') }}
-- depends_on: {{ ref('dim_sites') }}
-- depends_on: {{ ref('dim_equipment') }}
-- depends_on: {{ ref('int_bonus__coefficient_sets') }}
-- depends_on: {{ ref('dim_points_prices') }}
-- depends_on: {{ ref('dim_duty_tariffs') }}
-- depends_on: {{ ref('dim_service_tariffs') }}
-- depends_on: {{ ref('stg_onec__bonus_coefficients') }}
-- depends_on: {{ ref('stg_onec__points_prices') }}
-- depends_on: {{ ref('stg_onec__duty_tariffs') }}
-- depends_on: {{ ref('stg_onec__service_tariffs') }}
-- reads {{ source('raw_meta', 'loads') }}
{%- endmacro %}

{#-
  The touched periods of this run as literals (computed once with run_query, before the
  model's SQL runs), so that every period filter of the model is a range on the raw
  timestamp column (`completed_at >= '...'::timestamptz and completed_at < '...'`) that the
  planner turns into an index scan of the fact, instead of `date_trunc(...) = any(...)`
  evaluated on every row of a sequential scan. Returns none on a full build (the filters
  are then `true`), else a dict:
    ranges: [[first period, period after the last (dates), first moment, end moment
             (timestamptz text)], ...] - runs of consecutive touched periods, in order;
    as_of, first_at: marts_activity_bounds() as timestamptz text.
  Call once per model and grain and pass the result to marts_ts_in / marts_period_in.

  A period is touched (docs/incremental.md) by
    * a ticket changed since the cutoff: (creation - longest repeat window) to (last
      completion + window), up to the newest period while it is open;
    * a time entry or shift changed (or deleted) since the cutoff: its period;
    * the repeat window still open at the previous run: from the period containing
      (previous as_of - window), where the previous as_of is at least the newest activity of
      the facts not changed since the cutoff (they were there, as they are, then);
    * everything: no recorded run, or an input of the small dimensions loaded since the
      cutoff: a load started since then that wrote a new version of a 1C or help-desk
      employee, a site, an equipment unit or any 1C register (the extractors write a version
      only when the payload changed, so these are real changes), an engineer matched anew,
      or a changed shift on or before its engineer's first day or on or after the last day
      of an engineer who left (dim_engineers.hired_on / left_on).
-#}
{% macro marts_touched(grain='month') -%}
    {%- if not (execute and is_incremental()) -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set cutoff = cutoff_literal() -%}
    {%- set q -%}
        with params as materialized (
            select
                bounds.as_of_at,
                bounds.first_at,
                (select greatest(coalesce(max(repeat_window_days), 0), 0) from {{ ref('int_bonus__coefficient_sets') }})
                    * interval '1 day' as max_window,
                coalesce(greatest(
                    (select max(created_at) from {{ ref('fct_tickets') }}
                     where not coalesce(is_deleted, false) and _source_loaded_at < {{ cutoff }}),
                    (select max(completed_at) from {{ ref('fct_tickets') }}
                     where not coalesce(is_deleted, false) and _source_loaded_at < {{ cutoff }}),
                    (select max(logged_at) from {{ ref('fct_time_entries') }} where _source_loaded_at < {{ cutoff }})
                ), bounds.first_at) as previous_as_of,
                {{ cutoff }} = '-infinity'
                -- a small dimension's input: a load since the cutoff that wrote a new version
                or exists (select from {{ source('raw_meta', 'loads') }}
                           where started_at >= {{ cutoff }} and rows_inserted + rows_vanished > 0
                             and (source, entity) in (('onec', 'employees'), ('helpdesk', 'employees'),
                                 ('registry', 'sites'), ('helpdesk', 'maintenance_entities'),
                                 ('registry', 'equipment'), ('helpdesk', 'equipments'),
                                 ('onec', 'bonus_coefficients'), ('onec', 'points'),
                                 ('onec', 'duty_tariffs'), ('onec', 'service_tariffs')))
                -- an engineer matched anew (e-mails of 1C and the schedule)
                or exists (select from {{ ref('int_helpdesk_employees_matched') }} where _loaded_at >= {{ cutoff }})
                -- an engineer's first shift, or the last one of an engineer who left (hired_on, left_on)
                or exists (
                    select
                    from {{ ref('fct_shifts') }} as s
                    join {{ ref('dim_engineers') }} as e on e.personnel_no = s.personnel_no
                    where s._source_loaded_at >= {{ cutoff }}
                      and ((s.planned_start at time zone '{{ company_tz() }}')::date <= e.hired_on
                           or (coalesce(s.actual_end, s.planned_end) at time zone '{{ company_tz() }}')::date >= e.left_on)
                ) as all_periods
            from {{ marts_activity_bounds() }} as bounds
        ),
        changed_tickets as materialized (
            select t.created_at, t.status_code, greatest(t.created_at, t.completed_at, t.last_completed_at) as last_at
            from {{ ref('fct_tickets') }} as t
            where t._source_loaded_at >= {{ cutoff }}
                -- a one-time filter: no scan at all when every period is recomputed anyway
                and not (select all_periods from params)
        ),
        changed_moments as materialized (
            select te.logged_at as at from {{ ref('fct_time_entries') }} as te
            where te._source_loaded_at >= {{ cutoff }} and not (select all_periods from params)
            union all
            select gone.logged_at from {{ ref('int_time_entries_enriched') }} as gone
            where gone.is_deleted and gone._source_loaded_at >= {{ cutoff }} and not (select all_periods from params)
            union all
            select coalesce(s.actual_start, s.planned_start) from {{ ref('fct_shifts') }} as s
            where s._source_loaded_at >= {{ cutoff }} and not (select all_periods from params)
        ),
        touched as (
            select distinct p::date as period_start
            from (
                select generate_series(
                    {{ marts_period('first_at', grain) }}, {{ marts_period('as_of_at', grain) }},
                    interval '1 {{ grain }}') as p
                from params where all_periods
                union all
                select generate_series(
                    {{ marts_period('t.created_at - params.max_window', grain) }},
                    case when t.status_code in ('completed', 'closed')
                        then {{ marts_period('least(t.last_at + params.max_window, greatest(params.as_of_at, t.last_at))', grain) }}
                        else {{ marts_period('greatest(params.as_of_at, t.last_at)', grain) }} end,
                    interval '1 {{ grain }}')
                from changed_tickets as t, params
                union all
                select {{ marts_period('m.at', grain) }} from changed_moments as m where m.at is not null
                union all
                -- a period whose last moment + window <= the previous as_of was final then and
                -- stays final; the first one that was not contains (previous as_of - window)
                select generate_series(
                    {{ marts_period('least(previous_as_of, as_of_at) - max_window', grain) }},
                    {{ marts_period('as_of_at', grain) }},
                    interval '1 {{ grain }}')
                from params where not all_periods
            ) as periods
            where p is not null
        ),
        islands as (
            select period_start,
                   period_start - (row_number() over (order by period_start))::int * interval '1 {{ grain }}' as island
            from touched
        ),
        ranges as (
            select min(period_start)::text as first_period,
                   (max(period_start) + interval '1 {{ grain }}')::date::text as end_period,
                   ((min(period_start))::timestamp at time zone '{{ company_tz() }}')::text as first_moment,
                   (((max(period_start) + interval '1 {{ grain }}')::date)::timestamp at time zone '{{ company_tz() }}')::text as end_moment
            from islands
            group by island
        )
        select params.as_of_at::text, params.first_at::text, ranges.*
        from params
        left join ranges on true
        order by ranges.first_period
    {%- endset -%}
    {%- set rows = run_query(q).rows -%}
    {%- set ranges = [] -%}
    {%- for r in rows if r[2] is not none -%}
        {%- do ranges.append([r[2], r[3], r[4], r[5]]) -%}
    {%- endfor -%}
    {%- do log('marts_touched ' ~ this.identifier ~ ' ' ~ grain ~ ': ' ~ ranges | map('first') | list ~ ' .. '
               ~ ranges | map('last') | list, info=false) -%}
    {{- return({'ranges': ranges, 'as_of': rows[0][0], 'first_at': rows[0][1], 'grain': grain}) -}}
{%- endmacro %}

{#- Predicate: the timestamptz `col` falls in a touched period (true on a full build). -#}
{% macro marts_ts_in(touched, col) -%}
    {%- if touched is none -%}
    true
    {%- elif touched.ranges | length == 0 -%}
    false
    {%- else -%}
    ({% for r in touched.ranges %}({{ col }} >= '{{ r[2] }}'::timestamptz and {{ col }} < '{{ r[3] }}'::timestamptz){% if not loop.last %} or {% endif %}{% endfor %})
    {%- endif -%}
{%- endmacro %}

{#- Predicate: the date `col` (a period_start of the touched grain) is a touched period. -#}
{% macro marts_period_in(touched, col) -%}
    {%- if touched is none -%}
    true
    {%- elif touched.ranges | length == 0 -%}
    false
    {%- else -%}
    ({% for r in touched.ranges %}({{ col }} >= '{{ r[0] }}'::date and {{ col }} < '{{ r[1] }}'::date){% if not loop.last %} or {% endif %}{% endfor %})
    {%- endif -%}
{%- endmacro %}

