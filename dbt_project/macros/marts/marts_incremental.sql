{#-
  Period-incremental marts (docs/marts.md "Incremental by period").

  The per-period marts (KPI month/week, load index, bonus lines/summary, rules 1-4 lines) are
  `incremental` with `delete+insert` on their period key: a run recomputes only the periods
  that some changed record can reach and replaces those periods whole. Which periods:

    * every ticket of fct_tickets loaded since the previous build (marts_loaded_since_last_build): the periods from (creation - longest repeat window) to (last completion +
      longest repeat window), up to the newest period when the ticket is still open
      (KPI at creation and completion, repeats and their penalties, open-ticket load);
    * every time entry loaded since then (and every entry deleted since then): its period;
    * every shift of fct_shifts updated (source `updated_at`, fct_shifts has no load time)
      within `lookback_days` of the newest update the previous build saw: its period;
    * the periods whose repeat window had not passed at the previous run (the provisional
      repeat share and late repeats);
    * all periods when the small dimensions the marts read changed at all (engineers' names,
      teams, employment, current site/fleet assignment, every 1C coefficient, price and
      tariff: `marts_dims_signature`), when the mart has no watermark yet, or on a full refresh.

  The watermark is one row per model in `intermediate.int_marts__watermarks` (newest
  `_source_loaded_at` of the facts, newest shift `updated_at`, the newest activity moment and
  the dimension signature) written by a post-hook after a successful build. A failed run
  leaves the old watermark, so the next run reprocesses everything since then.
-#}

{% macro marts_watermark_relation() -%}
    {{ ref('int_marts__watermarks') }}
{%- endmacro %}

{#- The changed-record rule of the marts (row-level and period models), from this model's
    watermark: a fact row is new to this model when its `_source_loaded_at` is after the newest
    one the previous build saw, or when it comes from a load that had not finished when the
    previous build ran (raw `_loaded_at` is never before its load's `started_at`). No wall-clock
    lookback: the first nightly run after a full build reads that night's loads only. Returns a
    predicate on `col`; true on a full build (and with no watermark). Values are inlined as
    literals (run_query) so the planner can use the `_source_loaded_at` indexes. -#}
{% macro marts_loaded_since_last_build(col='_source_loaded_at') -%}
    {%- if execute and is_incremental() -%}
        {%- set q -%}
            select coalesce(w.loaded_at, '-infinity'::timestamptz)::text,
                   coalesce((select min(l.started_at) from {{ source('raw_meta', 'loads') }} as l
                             where coalesce(l.finished_at, 'infinity'::timestamptz) >= w.saved_at),
                            'infinity'::timestamptz)::text
            from (select 1) as one
            left join {{ marts_watermark_relation() }} as w on w.model = '{{ this.identifier }}'
        {%- endset -%}
        {%- set row = run_query(q).rows[0] -%}
        ({{ col }} > '{{ row[0] }}'::timestamptz or {{ col }} >= '{{ row[1] }}'::timestamptz)
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{#- The earliest Period of a 1C register row (coefficients, points prices, duty and service
    tariffs) loaded since this model's last build, as a literal; '+infinity' when none. -#}
{% macro marts_rates_changed_from() -%}
    {%- if execute and is_incremental() -%}
        {%- set q -%}
            select coalesce(min(valid_from), 'infinity'::timestamptz)::text from (
                {%- for reg in ['stg_onec__bonus_coefficients', 'stg_onec__points_prices',
                                'stg_onec__duty_tariffs', 'stg_onec__service_tariffs'] %}
                select valid_from from {{ ref(reg) }} where {{ marts_loaded_since_last_build('_last_loaded_at') }}
                {% if not loop.last %}union all{% endif %}
                {%- endfor %}
            ) as changed_rates
        {%- endset -%}
        '{{ run_query(q).columns[0].values()[0] }}'::timestamptz
    {%- else -%}
        '-infinity'::timestamptz
    {%- endif -%}
{%- endmacro %}

{#- Row-level incremental models: the records to recompute (true on a full build). -#}
{% macro marts_changed_records(money_at) -%}
    {%- if is_incremental() -%}
    ({{ marts_loaded_since_last_build() }} or {{ money_at }} >= {{ marts_rates_changed_from() }})
    {%- else -%}
    true
    {%- endif -%}
{%- endmacro %}

{#- One row: as_of_at (marts_as_of) and first_at (marts_first_activity). Every bound is its
    own max/min subquery so that each is one probe of an index (fct_shifts has a partial
    expression index on coalesce(actual_start, planned_start) where status = 'worked'; the
    combined max+min of one subquery was a scan of all 351k shifts of `large`, run in every
    period mart's touched-period query and watermark save). -#}
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

{#- md5 of everything small the period marts read besides the facts: when it moves, every
    period is recomputed. -#}
{% macro marts_dims_signature() -%}
    (select md5(string_agg(part, '|' order by part)) from (
        select 'e' || md5(coalesce(string_agg(
            concat_ws('~', personnel_no, full_name, team_id, team_name, region_code, region_name, hired_on, left_on),
            '^' order by personnel_no), '')) as part
        from {{ ref('dim_engineers') }}
        union all
        select 's' || md5(coalesce(string_agg(assigned_personnel_no || '~' || n, '^' order by assigned_personnel_no), ''))
        from (select assigned_personnel_no, count(*) as n from {{ ref('dim_sites') }}
              where assigned_personnel_no is not null group by 1) as s
        union all
        select 'q' || md5(coalesce(string_agg(assigned_personnel_no || '~' || n, '^' order by assigned_personnel_no), ''))
        from (select assigned_personnel_no, count(*) as n from {{ ref('dim_equipment') }}
              where assigned_personnel_no is not null group by 1) as q
        union all
        select 'c' || md5(coalesce(string_agg(c::text, '^' order by c::text), ''))
        from {{ ref('int_bonus__coefficient_sets') }} as c
        union all
        select 'p' || md5(coalesce(string_agg(concat_ws('~', work_type, points, valid_from, valid_to), '^'
            order by work_type, valid_from), ''))
        from {{ ref('dim_points_prices') }}
        union all
        select 'd' || md5(coalesce(string_agg(concat_ws('~', shift_type, rate, valid_from, valid_to), '^'
            order by shift_type, valid_from), ''))
        from {{ ref('dim_duty_tariffs') }}
        union all
        {{ marts_service_tariffs_signature_part() }}
    ) as parts)
{%- endmacro %}

{#- The service tariffs' part of a signature (also mart_contract_usage's). -#}
{% macro marts_service_tariffs_signature_part() -%}
        select 't' || md5(coalesce(string_agg(concat_ws('~', work_type, client_rate, engineer_cost, valid_from, valid_to), '^'
            order by work_type, valid_from), '')) as part
        from {{ ref('dim_service_tariffs') }}
{%- endmacro %}

{#- Refs the macros above read, declared for dbt's dependency graph (call in the model). -#}
{% macro marts_incremental_depends_on() -%}
-- depends_on: {{ ref('fct_tickets') }}
-- depends_on: {{ ref('fct_time_entries') }}
-- depends_on: {{ ref('fct_shifts') }}
-- depends_on: {{ ref('int_time_entries_enriched') }}
-- depends_on: {{ ref('dim_engineers') }}
-- depends_on: {{ ref('dim_sites') }}
-- depends_on: {{ ref('dim_equipment') }}
-- depends_on: {{ ref('int_bonus__coefficient_sets') }}
-- depends_on: {{ ref('dim_points_prices') }}
-- depends_on: {{ ref('dim_duty_tariffs') }}
-- depends_on: {{ ref('dim_service_tariffs') }}
-- depends_on: {{ ref('int_marts__watermarks') }}
-- depends_on: {{ ref('stg_onec__bonus_coefficients') }}
-- depends_on: {{ ref('stg_onec__points_prices') }}
-- depends_on: {{ ref('stg_onec__duty_tariffs') }}
-- depends_on: {{ ref('stg_onec__service_tariffs') }}
-- reads {{ source('raw_meta', 'loads') }}
{%- endmacro %}

{#- post-hook: remember what this build has seen. -#}
{% macro marts_watermark_save() -%}
    insert into {{ marts_watermark_relation() }} as w
        (model, loaded_at, shifts_updated_at, as_of_at, dims_signature, saved_at)
    select
        '{{ this.identifier }}',
        greatest(
            (select max(_source_loaded_at) from {{ ref('fct_tickets') }}),
            (select max(_source_loaded_at) from {{ ref('fct_time_entries') }})
        ),
        (select max(updated_at) from {{ ref('fct_shifts') }}),
        (select as_of_at from {{ marts_activity_bounds() }} as bounds),
        {{ marts_dims_signature() }},
        now()
    on conflict (model) do update set
        loaded_at = excluded.loaded_at,
        shifts_updated_at = excluded.shifts_updated_at,
        as_of_at = excluded.as_of_at,
        dims_signature = excluded.dims_signature,
        saved_at = excluded.saved_at
{%- endmacro %}

{#- post-hook of the row-level incremental int models: only the load watermark (`facts`: the
    relations whose newest `_source_loaded_at` the build has seen). -#}
{% macro marts_watermark_save_loaded(facts) -%}
    insert into {{ marts_watermark_relation() }} as w (model, loaded_at, saved_at)
    select
        '{{ this.identifier }}',
        greatest(
            {%- for f in facts %}
            (select max(_source_loaded_at) from {{ f }}){% if not loop.last %},{% endif %}
            {%- endfor %}
        ),
        now()
    on conflict (model) do update set loaded_at = excluded.loaded_at, saved_at = excluded.saved_at
{%- endmacro %}

{#- CTEs `marts_wm` and `touched_<grain>` (period_start of every period to recompute) for an
    incremental run; `all_periods` is true when everything must be recomputed. Emit inside a
    `with` list, followed by a comma. -#}
{% macro marts_touched_periods_ctes(grains=['month']) -%}
marts_params as materialized (
    select
        bounds.as_of_at,
        bounds.first_at,
        (select greatest(coalesce(max(repeat_window_days), 0), 0) from {{ ref('int_bonus__coefficient_sets') }})
            * interval '1 day' as max_window
    from {{ marts_activity_bounds() }} as bounds
),

marts_wm as materialized (
    select
        w.loaded_at,
        w.shifts_updated_at - interval '{{ var("lookback_days") }} days' as shifts_cutoff,
        w.as_of_at,
        (w.dims_signature is distinct from {{ marts_dims_signature() }}) as all_periods
    from (select 1) as one
    left join {{ marts_watermark_relation() }} as w on w.model = '{{ this.identifier }}'
),

marts_changed_tickets as materialized (
    select t.created_at, t.status_code, greatest(t.created_at, t.completed_at, t.last_completed_at) as last_at
    from {{ ref('fct_tickets') }} as t
    where {{ marts_loaded_since_last_build('t._source_loaded_at') }}
        -- a one-time filter: no scan at all when every period is recomputed anyway
        and (select not coalesce(marts_wm.all_periods, true) and marts_wm.loaded_at is not null from marts_wm)
),

marts_changed_moments as materialized (
    select te.logged_at as at
    from {{ ref('fct_time_entries') }} as te
    where {{ marts_loaded_since_last_build('te._source_loaded_at') }}
        and (select not coalesce(marts_wm.all_periods, true) and marts_wm.loaded_at is not null from marts_wm)
    union all
    select gone.logged_at
    from {{ ref('int_time_entries_enriched') }} as gone
    where gone.is_deleted and {{ marts_loaded_since_last_build('gone._source_loaded_at') }}
    union all
    select coalesce(s.actual_start, s.planned_start)
    from {{ ref('fct_shifts') }} as s, marts_wm
    where s.updated_at >= marts_wm.shifts_cutoff
)
{%- for grain in grains %},

touched_{{ grain }} as materialized (
    select distinct p::date as period_start
    from (
        -- everything (no watermark, dimensions changed)
        select generate_series(
            {{ marts_period('marts_params.first_at', grain) }}, {{ marts_period('marts_params.as_of_at', grain) }},
            interval '1 {{ grain }}') as p
        from marts_params, marts_wm
        where marts_wm.loaded_at is null or marts_wm.all_periods
        union all
        -- changed tickets: repeats, penalties and open-ticket load reach a window around them
        select generate_series(
            {{ marts_period('t.created_at - marts_params.max_window', grain) }},
            case when t.status_code in ('completed', 'closed')
                then {{ marts_period('least(t.last_at + marts_params.max_window, greatest(marts_params.as_of_at, t.last_at))', grain) }}
                else {{ marts_period('greatest(marts_params.as_of_at, t.last_at)', grain) }} end,
            interval '1 {{ grain }}')
        from marts_changed_tickets as t, marts_params
        union all
        select {{ marts_period('m.at', grain) }} from marts_changed_moments as m where m.at is not null
        union all
        -- periods whose repeat window was still open at the previous run: a period whose
        -- last moment + window <= the previous as_of was final then and stays final, and
        -- the first period with last moment > as_of - window is the one containing
        -- (as_of - window) (least of both runs' as_of: a fact removed can move it back)
        select generate_series(
            {{ marts_period("least(marts_wm.as_of_at, marts_params.as_of_at) - marts_params.max_window", grain) }},
            {{ marts_period('greatest(marts_params.as_of_at, marts_wm.as_of_at)', grain) }},
            interval '1 {{ grain }}')
        from marts_params, marts_wm
        where marts_wm.as_of_at is not null
    ) as periods
    where p is not null
)
{%- endfor %}
{%- endmacro %}

{#- The touched periods of this run as literals (computed once with run_query, before the
    model's SQL runs), so that every period filter of the model is a range on the raw
    timestamp column (`completed_at >= '...'::timestamptz and completed_at < '...'`) that the
    planner turns into an index scan of the fact, instead of `date_trunc(...) = any(...)`
    evaluated on every row of a sequential scan. Returns none on a full build (the filters
    are then `true`), else a dict:
      ranges: [[first period, period after the last (dates), first moment, end moment
               (timestamptz text)], ...] - runs of consecutive touched periods, in order;
      as_of, first_at: marts_as_of() / marts_first_activity() as timestamptz text.
    Call once per model and grain and pass the result to marts_ts_in / marts_period_in. -#}
{% macro marts_touched(grain='month') -%}
    {%- if not (execute and is_incremental()) -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set q -%}
        with {{ marts_touched_periods_ctes([grain]) }},
        islands as (
            select period_start,
                   period_start - (row_number() over (order by period_start))::int * interval '1 {{ grain }}' as island
            from touched_{{ grain }}
        ),
        ranges as (
            select min(period_start)::text as first_period,
                   (max(period_start) + interval '1 {{ grain }}')::date::text as end_period,
                   {{ marts_period_first_moment('min(period_start)') }}::text as first_moment,
                   {{ marts_period_first_moment("(max(period_start) + interval '1 " ~ grain ~ "')::date") }}::text as end_moment
            from islands
            group by island
        )
        select marts_params.as_of_at::text, marts_params.first_at::text, ranges.*
        from marts_params
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

{#- Predicate: the month `col` (a month's first day) overlaps a touched period of any grain
    (for int_bonus__ticket_points.period_start under the weekly KPI). -#}
{% macro marts_month_overlaps(touched, col) -%}
    {%- if touched is none -%}
    true
    {%- elif touched.ranges | length == 0 -%}
    false
    {%- else -%}
    ({% for r in touched.ranges %}({{ col }} >= date_trunc('month', '{{ r[0] }}'::date)::date and {{ col }} < '{{ r[1] }}'::date){% if not loop.last %} or {% endif %}{% endfor %})
    {%- endif -%}
{%- endmacro %}
