{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='period_start',
        on_schema_change='append_new_columns',
        post_hook=["{{ record_incremental_run() }}"],
    )
}}
{{ marts_incremental_depends_on() }}
-- Incremental by period, as mart_bonus_lines (the same months are recomputed; engineers'
-- names or teams changing recompute every month).
-- One row per engineer and period with at least one bonus line: the total (sum of the
-- rounded lines), line counts per kind, and calc_hash (docs/rules.md): lowercase hex sha256
-- of `line_kind|source_event_id|amount` rows sorted by kind then event id in code-point
-- order (COLLATE "C") joined by '\n'. The approvals service pins this hash.
{%- set touched = marts_touched('month') %}
with

lines as (
    select * from {{ ref('mart_bonus_lines') }}
    where {{ marts_period_in(touched, 'period_start') }}
),

engineers as (
    select personnel_no, full_name, team_id, team_name, region_code, region_name
    from {{ ref('dim_engineers') }}
),

summary as (
    select
        personnel_no,
        period_start,
        sum(amount_rub)::numeric(14, 2) as total_rub,
        count(*) as lines_count,
        count(*) filter (where line_kind = 'ticket_points') as ticket_points_count,
        count(*) filter (where line_kind = 'repeat_penalty') as repeat_penalty_count,
        count(*) filter (where line_kind = 'duty_shift') as duty_shift_count,
        count(*) filter (where line_kind = 'hourly_work_share') as hourly_work_share_count,
        count(*) filter (where line_kind = 'kpi_multiplier') as kpi_multiplier_count,
        count(*) filter (where line_kind = 'floor_adjustment') as floor_adjustment_count,
        coalesce(sum(amount_rub) filter (where line_kind = 'ticket_points'), 0)::numeric(14, 2) as ticket_points_rub,
        coalesce(sum(amount_rub) filter (where line_kind = 'repeat_penalty'), 0)::numeric(14, 2) as repeat_penalty_rub,
        coalesce(sum(amount_rub) filter (where line_kind = 'duty_shift'), 0)::numeric(14, 2) as duty_shift_rub,
        coalesce(sum(amount_rub) filter (where line_kind = 'hourly_work_share'), 0)::numeric(14, 2) as hourly_work_share_rub,
        coalesce(sum(amount_rub) filter (where line_kind = 'kpi_multiplier'), 0)::numeric(14, 2) as kpi_multiplier_rub,
        coalesce(sum(amount_rub) filter (where line_kind = 'floor_adjustment'), 0)::numeric(14, 2) as floor_adjustment_rub,
        encode(sha256(convert_to(
            string_agg(
                line_kind || '|' || source_event_id || '|' || amount_rub::numeric(14, 2)::text,
                e'\n'
                order by line_kind collate "C", source_event_id collate "C"
            ),
            'UTF8'
        )), 'hex') as calc_hash
    from lines
    group by personnel_no, period_start
)

select
    summary.personnel_no,
    engineers.full_name,
    engineers.team_id,
    engineers.team_name,
    engineers.region_code,
    engineers.region_name,
    summary.period_start,
    summary.total_rub,
    summary.lines_count,
    summary.ticket_points_count,
    summary.repeat_penalty_count,
    summary.duty_shift_count,
    summary.hourly_work_share_count,
    summary.kpi_multiplier_count,
    summary.floor_adjustment_count,
    summary.ticket_points_rub,
    summary.repeat_penalty_rub,
    summary.duty_shift_rub,
    summary.hourly_work_share_rub,
    summary.kpi_multiplier_rub,
    summary.floor_adjustment_rub,
    summary.calc_hash
from summary
left join engineers on engineers.personnel_no = summary.personnel_no
