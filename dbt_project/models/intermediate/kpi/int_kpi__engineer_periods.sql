{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['grain', 'period_start'],
        on_schema_change='append_new_columns',
        post_hook="{{ record_incremental_run() }}",
        indexes=[{'columns': ['grain', 'period_start', 'personnel_no']}],
    )
}}
{#- The per-engineer KPI of docs/rules.md at both grains (grain = 'month' -> mart_engineer_kpi,
    'week' -> mart_engineer_kpi_weekly, views over this table). One row per engineer
    (dim_engineers) and period from the first to the last period with activity, limited to
    the engineer's employment (hired_on / left_on when known). Rates come with their
    numerator and denominator so roll-ups can be recomputed exactly (mart_kpi_rollup).
    Incremental by period: only the periods a changed record can reach are recomputed and
    replaced, per grain (macros/marts/marts_incremental.sql; a full refresh recomputes all). -#}
{{ marts_incremental_depends_on() }}
{%- set shift_types = ['day', 'night', 'duty_day', 'duty_night', 'duty_weekend'] -%}
{%- for grain in ['month', 'week'] %}
{%- if not loop.first %}
union all
{%- endif %}
(
{#- incremental run: the touched periods as literals (macros/marts/marts_incremental.sql) -#}
{%- set touched = marts_touched(grain) %}
with

-- tickets deleted from the help desk count nowhere (as in the bonus); not materialized:
-- each use below pushes its own index range on completed_at / created_at into the scan
tickets as not materialized (
    select * from {{ ref('fct_tickets') }} where not coalesce(is_deleted, false)
),

ticket_points as not materialized (
    select ticket_id, complexity_coef from {{ ref('int_bonus__ticket_points') }}
    {%- if touched is not none %}
    -- the ticket points of the months that overlap a touched period
    where {% for r in touched.ranges -%}
        (period_start >= date_trunc('month', '{{ r[0] }}'::date)::date and period_start < '{{ r[1] }}'::date) or {% endfor %}false
    {%- endif %}
),

repeats as (
    select ticket_id, min(repeated_at) as first_repeated_at
    from {{ ref('int_bonus__repeats') }}
    {%- if touched is not none and touched.ranges %}
    -- only tickets completed in a touched period are read, and their repeats come after
    -- their completion
    where repeated_at >= '{{ touched.ranges[0][2] }}'::timestamptz
    {%- endif %}
    group by ticket_id
),

coefficient_sets as (
    select * from {{ ref('int_bonus__coefficient_sets') }}
),

engineers as (
    select * from {{ ref('dim_engineers') }}
),

-- the newest and oldest activity moments (tickets created/completed, time entries, worked
-- shifts): macros/marts/marts_incremental.sql
as_of as materialized (
    {%- if touched is none %}
    select as_of_at, first_at from {{ marts_activity_bounds() }} as bounds
    {%- else %}
    select {{ "'%s'" % touched.as_of if touched.as_of else 'null' }}::timestamptz as as_of_at,
           {{ "'%s'" % touched.first_at if touched.first_at else 'null' }}::timestamptz as first_at
    {%- endif %}
),

periods as (
    select p::date as period_start
    from as_of
    cross join lateral generate_series(
        {{ marts_period('as_of.first_at', grain) }},
        {{ marts_period('as_of.as_of_at', grain) }},
        interval '1 {{ grain }}'
    ) as p
    where {{ marts_period_in(touched, 'p::date') }}
),

employed as (
    select engineers.personnel_no, periods.period_start
    from engineers
    cross join periods
    where (engineers.hired_on is null or engineers.hired_on < periods.period_start + interval '1 {{ grain }}')
        and (engineers.left_on is null or engineers.left_on >= periods.period_start)
),

-- the tickets completed in the recomputed periods, read once (one index range scan of
-- fct_tickets.completed_at) for both aggregates below, with their points and first repeat.
-- Materialized on an incremental run only (a few months of tickets); a full build reads
-- fct_tickets twice instead of spilling every completed ticket to a temporary file.
done as {{ 'materialized' if touched is not none else 'not materialized' }} (
    select
        tickets.personnel_no,
        {{ marts_period('tickets.completed_at', grain) }} as period_start,
        tickets.ticket_id,
        tickets.completed_at,
        tickets.created_at,
        tickets.deadline_at,
        tickets.site_code,
        tickets.csat,
        tickets.equipment_serials,
        ticket_points.complexity_coef,
        repeats.ticket_id as repeated_ticket_id
    from tickets
    left join ticket_points on ticket_points.ticket_id = tickets.ticket_id
    left join repeats on repeats.ticket_id = tickets.ticket_id
    where tickets.completed_at is not null and tickets.personnel_no is not null
        and {{ marts_ts_in(touched, 'tickets.completed_at') }}
),

completed as (
    select
        personnel_no,
        period_start,
        count(*) as closed_tickets,
        sum(complexity_coef) as weighted_closed,
        sum(extract(epoch from completed_at - created_at) / 3600) as resolution_hours_sum,
        count(*) filter (where deadline_at is not null) as sla_resolution_total,
        count(*) filter (where deadline_at is not null and completed_at <= deadline_at)
            as sla_resolution_met,
        count(repeated_ticket_id) as repeated_tickets,
        count(csat) as csat_count,
        sum(csat) as csat_sum,
        count(*) filter (where csat < 3) as low_csat_count
    from done
    group by 1, 2
),

-- count(distinct ...) as a hash de-duplication then a count: no sort of the tickets by the
-- text personnel_no (collation comparisons); count(distinct) ignores nulls, so do these
sites_served as (
    select personnel_no, period_start, count(*) as sites_served
    from (select distinct personnel_no, period_start, site_code from done where site_code is not null) as d
    group by 1, 2
),

equipment_served as (
    select personnel_no, period_start, count(*) as equipment_served
    from (
        select distinct done.personnel_no, done.period_start, serial
        from done
        cross join lateral unnest(done.equipment_serials) as serial
        where serial is not null
    ) as d
    group by 1, 2
),

reaction as (
    select
        personnel_no,
        {{ marts_period('created_at', grain) }} as period_start,
        count(*) as sla_reaction_total,
        count(*) filter (where sla_reaction_met) as sla_reaction_met
    from tickets
    where personnel_no is not null and sla_reaction_met is not null
        and {{ marts_ts_in(touched, 'created_at') }}
    group by 1, 2
),

shifts as (
    select
        personnel_no,
        {{ marts_period('coalesce(actual_start, planned_start)', grain) }} as period_start,
        count(*) as shifts_count,
        coalesce(sum(worked_hours), 0) as hours_worked
        {%- for t in shift_types %},
        count(*) filter (where shift_type = '{{ t }}') as shifts_{{ t }},
        coalesce(sum(worked_hours) filter (where shift_type = '{{ t }}'), 0) as hours_{{ t }}
        {%- endfor %}
    from {{ ref('fct_shifts') }}
    where status = 'worked' and not coalesce(is_deleted, false) and personnel_no is not null
        and {{ marts_ts_in(touched, 'coalesce(actual_start, planned_start)') }}
    group by 1, 2
),

onsite as (
    select
        personnel_no,
        {{ marts_period('logged_at', grain) }} as period_start,
        sum(hours) as onsite_hours
    from {{ ref('fct_time_entries') }}
    where activity in ('onsite', 'travel', 'maintenance', 'emergency_repair', 'diagnostics')
        and personnel_no is not null
        and {{ marts_ts_in(touched, 'logged_at') }}
    group by 1, 2
),

-- The registry keeps no assignment history: the current assignment stands for every period.
assigned_sites as (
    select assigned_personnel_no as personnel_no, count(*) as sites_assigned
    from {{ ref('dim_sites') }}
    where assigned_personnel_no is not null
    group by 1
),

assigned_fleet as (
    select assigned_personnel_no as personnel_no, count(*) as fleet_assigned
    from {{ ref('dim_equipment') }}
    where assigned_personnel_no is not null
    group by 1
),

spine as (
    select personnel_no, period_start from employed
    union
    select personnel_no, period_start from completed
    union
    select personnel_no, period_start from reaction
    union
    select personnel_no, period_start from shifts
    union
    select personnel_no, period_start from onsite
),

final as (
    select
        spine.personnel_no,
        spine.period_start,
        '{{ grain }}' as grain,
        engineers.full_name,
        engineers.team_id,
        engineers.team_name,
        engineers.region_code,
        engineers.region_name,
        coalesce(completed.closed_tickets, 0) as closed_tickets,
        coalesce(completed.weighted_closed, 0) as weighted_closed,
        round(completed.resolution_hours_sum / nullif(completed.closed_tickets, 0), 2) as avg_resolution_hours,
        coalesce(completed.resolution_hours_sum, 0) as resolution_hours_sum,
        coalesce(completed.sla_resolution_total, 0) as sla_resolution_total,
        coalesce(completed.sla_resolution_met, 0) as sla_resolution_met,
        round(completed.sla_resolution_met::numeric / nullif(completed.sla_resolution_total, 0), 4)
            as sla_resolution_rate,
        coalesce(reaction.sla_reaction_total, 0) as sla_reaction_total,
        coalesce(reaction.sla_reaction_met, 0) as sla_reaction_met,
        round(reaction.sla_reaction_met::numeric / nullif(reaction.sla_reaction_total, 0), 4)
            as sla_reaction_rate,
        coalesce(shifts.hours_worked, 0) as hours_worked,
        coalesce(shifts.shifts_count, 0) as shifts_count,
        {%- for t in shift_types %}
        coalesce(shifts.hours_{{ t }}, 0) as hours_worked_{{ t }},
        coalesce(shifts.shifts_{{ t }}, 0) as shifts_count_{{ t }},
        {%- endfor %}
        coalesce(onsite.onsite_hours, 0) as onsite_hours,
        coalesce(sites_served.sites_served, 0) as sites_served,
        coalesce(equipment_served.equipment_served, 0) as equipment_served,
        coalesce(assigned_sites.sites_assigned, 0) as sites_assigned,
        coalesce(assigned_fleet.fleet_assigned, 0) as fleet_assigned,
        coalesce(completed.repeated_tickets, 0) as repeated_tickets,
        round(completed.repeated_tickets::numeric / nullif(completed.closed_tickets, 0), 4) as repeat_share,
        -- the repeat window of the period's last completions has not passed yet
        ({{ marts_period_last_moment('spine.period_start', grain) }}
            + cs.repeat_window_days * interval '1 day') > as_of.as_of_at as repeat_share_is_provisional,
        round(completed.csat_sum::numeric / nullif(completed.csat_count, 0), 2) as csat_avg,
        coalesce(completed.csat_count, 0) as csat_count,
        coalesce(completed.low_csat_count, 0) as low_csat_count
    from spine
    cross join as_of
    left join engineers on engineers.personnel_no = spine.personnel_no
    left join completed on completed.personnel_no = spine.personnel_no and completed.period_start = spine.period_start
    left join sites_served on sites_served.personnel_no = spine.personnel_no and sites_served.period_start = spine.period_start
    left join equipment_served on equipment_served.personnel_no = spine.personnel_no and equipment_served.period_start = spine.period_start
    left join reaction on reaction.personnel_no = spine.personnel_no and reaction.period_start = spine.period_start
    left join shifts on shifts.personnel_no = spine.personnel_no and shifts.period_start = spine.period_start
    left join onsite on onsite.personnel_no = spine.personnel_no and onsite.period_start = spine.period_start
    left join assigned_sites on assigned_sites.personnel_no = spine.personnel_no
    left join assigned_fleet on assigned_fleet.personnel_no = spine.personnel_no
    left join coefficient_sets as cs
        on {{ in_force('cs', marts_period_last_moment('spine.period_start', grain)) }}
)

select * from final
)
{%- endfor %}
