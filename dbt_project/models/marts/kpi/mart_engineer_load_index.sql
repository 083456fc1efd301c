{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['grain', 'period_start'],
        on_schema_change='append_new_columns',
        post_hook="{{ record_incremental_run() }}",
        indexes=[{'columns': ['grain', 'period_start']}],
    )
}}
-- Engineer load index per engineer and period (docs/rules.md "Engineer load index"), weekly and
-- monthly in one table: `grain` ('week' | 'month') + `period_start`. 100 = as loaded as the
-- team's median engineer. Active engineers = the engineer-period rows of the KPI mart of that
-- grain (employed in the period, or with activity in it); each grain is computed by the same
-- query below and the two are stacked.
-- Incremental by period (macros/marts/marts_incremental.sql): the periods a changed record
-- can reach are recomputed from the KPI marts' rows of those periods and replaced.
{{ marts_incremental_depends_on() }}
{%- for grain in ['month', 'week'] %}
{%- set kpi = ref('mart_engineer_kpi') if grain == 'month' else ref('mart_engineer_kpi_weekly') %}
{%- set touched = marts_touched(grain) %}
{% if not loop.first %}
union all

{% endif -%}
select * from (
with

active as (
    select personnel_no, period_start, team_id, team_name, region_code, sites_assigned, fleet_assigned, onsite_hours
    from {{ kpi }}
    where {{ marts_period_in(touched, 'period_start') }}
),

periods as (
    select distinct period_start from active
),

-- a ticket is open from creation until its last completion (never completed: still open):
-- int_kpi__ticket_open_spans (assigned, not deleted tickets; open_until indexed)
open_tickets as (
    select personnel_no, complexity, created_at, open_until
    from {{ ref('int_kpi__ticket_open_spans') }}
),

bounds as (
    select min(period_start) as first_period, max(period_start) as last_period from periods
),

{%- if touched is none %}
-- each ticket in every period it is open in (generated per ticket, not a range join: a full
-- build has every period)
open_in_period as (
    select
        t.personnel_no,
        t.complexity,
        p::date as period_start
    from open_tickets as t
    cross join bounds
    cross join lateral generate_series(
        greatest({{ marts_period('t.created_at', grain) }}, bounds.first_period),
        least(
            case when t.open_until = 'infinity'::timestamptz then bounds.last_period
                 else {{ marts_period('t.open_until', grain) }} end,
            bounds.last_period
        ),
        interval '1 {{ grain }}'
    ) as p
),
{%- else %}
-- incremental run: the few recomputed periods with their first and end moments; a ticket is
-- open in period p when created before p ends and open until p's first moment or later,
-- i.e. period(created_at) <= p <= period(open_until) (comparisons of raw timestamps: no
-- per-ticket time zone conversion or generate_series). Only the periods of `active` count
-- (complexity_load is joined to it), so these are the same rows as the full build's.
period_moments as materialized (
    select
        period_start,
        ((period_start)::timestamp at time zone '{{ company_tz() }}') as start_at,
        (((period_start + interval '1 {{ grain }}')::date)::timestamp at time zone '{{ company_tz() }}') as end_at
    from periods
),

open_in_period as (
    select
        t.personnel_no,
        t.complexity,
        pm.period_start
    from open_tickets as t
    join period_moments as pm on t.created_at < pm.end_at and t.open_until >= pm.start_at
    -- only tickets open at some time within the recomputed periods (index on open_spans)
    where {% if touched.ranges -%}
        t.open_until >= '{{ touched.ranges[0][2] }}'::timestamptz
        and t.created_at < '{{ touched.ranges[-1][3] }}'::timestamptz
        {%- else %}false{% endif %}
),
{%- endif %}

-- tickets counted per engineer, period and complexity first, then weighted: the coefficient
-- depends on the period and the complexity only (numeric: coef * n = n times coef exactly)
open_counts as (
    select personnel_no, period_start, complexity, count(*) as n
    from open_in_period
    group by 1, 2, 3
),

complexity_load as (
    select
        o.personnel_no,
        o.period_start,
        -- complexity_coef(n); a missing (or out of range) complexity is taken as 2 (rule 1)
        sum((array[cs.complexity_1, cs.complexity_2, cs.complexity_3, cs.complexity_4, cs.complexity_5])[
            case when o.complexity between 1 and 5 then o.complexity else 2 end] * o.n) as complexity_load
    from open_counts as o
    left join {{ ref('int_bonus__coefficient_sets') }} as cs
        on {{ in_force('cs', marts_period_last_moment('o.period_start', grain)) }}
    group by 1, 2
),

components as (
    select
        a.personnel_no,
        a.period_start,
        a.team_id,
        a.team_name,
        a.region_code,
        a.sites_assigned::numeric as sites_assigned,
        a.fleet_assigned::numeric as fleet_assigned,
        a.onsite_hours::numeric as onsite_hours,
        coalesce(c.complexity_load, 0)::numeric as complexity_load
    from active as a
    left join complexity_load as c using (personnel_no, period_start)
),

medians as (
    select
        team_id,
        period_start,
        count(*) as team_engineers,
        percentile_cont(0.5) within group (order by sites_assigned) as median_sites,
        percentile_cont(0.5) within group (order by fleet_assigned) as median_fleet,
        percentile_cont(0.5) within group (order by onsite_hours) as median_onsite_hours,
        percentile_cont(0.5) within group (order by complexity_load) as median_complexity_load
    from components
    group by 1, 2
),

ratios as (
    select
        c.*,
        m.team_engineers,
        m.median_sites::numeric as median_sites,
        m.median_fleet::numeric as median_fleet,
        m.median_onsite_hours::numeric as median_onsite_hours,
        m.median_complexity_load::numeric as median_complexity_load,
        coalesce(c.sites_assigned / nullif(m.median_sites::numeric, 0), 0) as sites_ratio,
        coalesce(c.fleet_assigned / nullif(m.median_fleet::numeric, 0), 0) as fleet_ratio,
        coalesce(c.onsite_hours / nullif(m.median_onsite_hours::numeric, 0), 0) as onsite_hours_ratio,
        coalesce(c.complexity_load / nullif(m.median_complexity_load::numeric, 0), 0) as complexity_load_ratio,
        cs.load_w_sites,
        cs.load_w_fleet,
        cs.load_w_hours,
        cs.load_w_complexity
    from components as c
    left join medians as m
        on m.period_start = c.period_start and m.team_id is not distinct from c.team_id
    left join {{ ref('int_bonus__coefficient_sets') }} as cs
        on {{ in_force('cs', marts_period_last_moment('c.period_start', grain)) }}
)

select
    '{{ grain }}' as grain,
    personnel_no,
    period_start,
    team_id,
    team_name,
    region_code,
    team_engineers,
    sites_assigned,
    fleet_assigned,
    onsite_hours,
    complexity_load,
    median_sites,
    median_fleet,
    median_onsite_hours,
    median_complexity_load,
    round(sites_ratio, 4) as sites_ratio,
    round(fleet_ratio, 4) as fleet_ratio,
    round(onsite_hours_ratio, 4) as onsite_hours_ratio,
    round(complexity_load_ratio, 4) as complexity_load_ratio,
    load_w_sites,
    load_w_fleet,
    load_w_hours,
    load_w_complexity,
    round(100 * (
        load_w_sites * sites_ratio + load_w_fleet * fleet_ratio
        + load_w_hours * onsite_hours_ratio + load_w_complexity * complexity_load_ratio
    ), 1) as load_index
from ratios
) as by_{{ grain }}
{%- endfor %}
