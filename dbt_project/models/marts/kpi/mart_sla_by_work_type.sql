{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='period_start',
        on_schema_change='append_new_columns',
        post_hook="{{ record_incremental_run() }}",
        indexes=[{'columns': ['period_start']}],
    )
}}
{{ marts_incremental_depends_on() }}
{%- set touched = marts_touched('month') %}
-- Incremental by period (macros/marts/marts_incremental.sql, docs/marts.md): the months a
-- record loaded since the last build can reach are recomputed and replaced, reading only
-- the tickets completed in them (index on fct_tickets.completed_at).
-- SLA of resolution per work type and month (docs/rules.md): among tickets completed in the
-- month with a deadline, the share completed by the deadline. Also per region and team
-- for the dashboards' filters (rows with team_id / region_code; sum them for the company).
with

tickets as (
    select * from {{ ref('fct_tickets') }}
    where completed_at is not null and not coalesce(is_deleted, false)
        and {{ marts_ts_in(touched, 'completed_at') }}
),

engineers as (
    select personnel_no, region_code from {{ ref('dim_engineers') }}
),

grouped as (
    select
        {{ marts_period('tickets.completed_at') }} as period_start,
        coalesce(tickets.work_type, '(не указан)') as work_type,
        tickets.team_id,
        engineers.region_code,
        count(*) as completed_tickets,
        count(*) filter (where tickets.deadline_at is not null) as with_deadline,
        count(*) filter (where tickets.deadline_at is not null and tickets.completed_at <= tickets.deadline_at)
            as sla_met,
        round(avg(extract(epoch from tickets.completed_at - tickets.created_at) / 3600), 2)
            as avg_resolution_hours
    from tickets
    left join engineers on engineers.personnel_no = tickets.personnel_no
    group by 1, 2, 3, 4
)

select
    {{ surrogate_key(['period_start', 'work_type', 'team_id', 'region_code']) }} as row_id,
    period_start,
    work_type,
    team_id,
    region_code,
    completed_tickets,
    with_deadline,
    sla_met,
    with_deadline - sla_met as sla_breached,
    round(sla_met::numeric / nullif(with_deadline, 0), 4) as sla_resolution_rate,
    avg_resolution_hours
from grouped
