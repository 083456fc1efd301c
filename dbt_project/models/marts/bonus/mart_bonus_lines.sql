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
-- The line rules (keys, not null, line kinds) are the contract's constraints (mart_bonus_lines.yml).
-- Incremental by period (macros/marts/marts_incremental.sql): the months a record loaded
-- since the last build can reach are recomputed whole (rules 5-6 need the whole month) and
-- replace the old lines; every other month is left as it was.
-- Every rouble of every bonus as a line (docs/rules.md "Bonus", rules 1-6), one row per
-- (personnel_no, period_start, line_kind, source_event_id). Only engineers matched to a
-- personnel number; the rest are in dq_unmatched_identities.
--
-- Late facts: a line is booked in the period of its own event. A repeat penalty belongs to
-- the period of the repeat (T2's creation or the reopen), which is always after T1's
-- completion, so a late repeat never rewrites an earlier (possibly approved) period: it
-- becomes a line of the period it happened in. The earlier period's lines and calc_hash
-- stay as they were.
{%- set touched = marts_touched('month') %}
{#- Numbers in the Russian explanations (`{{ ru_num | format(expr) }}`): decimal comma,
    typographic minus, no trailing zeros (1,25; 3; 0,5); money with two decimals (703,50). -#}
{%- set ru_num = "replace(replace(trim_scale((%s)::numeric)::text, '.', ','), '-', '−')" %}
{%- set ru_money = "replace(replace(round((%s)::numeric, 2)::text, '.', ','), '-', '−')" %}
with

base_lines as (
    select * from {{ ref('int_bonus__base_lines') }}
    where personnel_no is not null and {{ marts_period_in(touched, 'period_start') }}
),

coefficient_sets as (
    select * from {{ ref('int_bonus__coefficient_sets') }}
),

sla as (
    select
        personnel_no,
        period_start,
        count(*) filter (where not sla_breached) as sla_met,
        count(*) as sla_total
    from {{ ref('int_bonus__ticket_points') }}
    where personnel_no is not null and deadline_at is not null
        and {{ marts_period_in(touched, 'period_start') }}
    group by 1, 2
),

period_base as (
    select personnel_no, period_start, sum(amount_rub) as base_rub
    from base_lines
    group by 1, 2
),

kpi_rated as (
    select
        period_base.personnel_no,
        period_base.period_start,
        period_base.base_rub,
        sla.sla_met,
        sla.sla_total,
        cs.kpi_sla_high_threshold,
        cs.kpi_sla_low_threshold,
        case
            when sla.sla_met >= cs.kpi_sla_high_threshold * sla.sla_total then cs.kpi_sla_high_multiplier
            when sla.sla_met < cs.kpi_sla_low_threshold * sla.sla_total then cs.kpi_sla_low_multiplier
        end as multiplier
    from period_base
    join sla using (personnel_no, period_start)
    left join coefficient_sets as cs
        on {{ in_force('cs', marts_period_last_moment('period_base.period_start')) }}
    where period_base.base_rub > 0
),

kpi_lines as (
    select
        personnel_no,
        period_start,
        'kpi_multiplier' as line_kind,
        'kpi:' || personnel_no || ':' || to_char(period_start, 'YYYY-MM') as source_event_id,
        {{ marts_period_last_moment('period_start') }} as event_at,
        null::bigint as ticket_id,
        null::text as client_inn,
        null::numeric as points,
        round(base_rub * (multiplier - 1), 2)::numeric(14, 2) as amount_rub,
        jsonb_build_object(
            'base_rub', base_rub,
            'sla_resolution_rate', round(sla_met::numeric / sla_total, 4),
            'sla_met', sla_met,
            'sla_total', sla_total,
            'kpi_sla_high_threshold', kpi_sla_high_threshold,
            'kpi_sla_low_threshold', kpi_sla_low_threshold,
            'multiplier', multiplier
        ) as coefficients,
        'KPI: SLA решения ' || {{ ru_num | format('round(100.0 * sla_met / sla_total, 1)') }} || '% ('
        || sla_met || ' из ' || sla_total || ') '
        || case
            when multiplier > 1 then '≥ ' || {{ ru_num | format('100 * kpi_sla_high_threshold') }}
            else '< ' || {{ ru_num | format('100 * kpi_sla_low_threshold') }}
        end
        || '%: ' || {{ ru_money | format('base_rub') }} || ' ₽ × (' || {{ ru_num | format('multiplier') }}
        || ' − 1) = ' || {{ ru_money | format('base_rub * (multiplier - 1)') }} || ' ₽'
        as explanation
    from kpi_rated
    where multiplier is not null
),

before_floor as (
    select * from base_lines
    union all
    select * from kpi_lines
),

subtotals as (
    select personnel_no, period_start, sum(amount_rub) as subtotal_rub
    from before_floor
    group by 1, 2
),

floor_lines as (
    select
        personnel_no,
        period_start,
        'floor_adjustment' as line_kind,
        'floor:' || personnel_no || ':' || to_char(period_start, 'YYYY-MM') as source_event_id,
        {{ marts_period_last_moment('period_start') }} as event_at,
        null::bigint as ticket_id,
        null::text as client_inn,
        null::numeric as points,
        (-subtotal_rub)::numeric(14, 2) as amount_rub,
        jsonb_build_object('subtotal_rub', subtotal_rub) as coefficients,
        'Премия не бывает отрицательной: сумма строк ' || {{ ru_money | format('subtotal_rub') }}
        || ' ₽ доведена до 0,00 ₽ (+' || {{ ru_money | format('-subtotal_rub') }} || ' ₽)' as explanation
    from subtotals
    where subtotal_rub < 0
),

all_lines as (
    select * from before_floor
    union all
    select * from floor_lines
)

select
    {{ surrogate_key(['personnel_no', 'period_start', 'line_kind', 'source_event_id']) }} as line_id,
    personnel_no,
    period_start,
    line_kind,
    source_event_id,
    event_at,
    ticket_id,
    client_inn,
    points,
    amount_rub::numeric(14, 2) as amount_rub,
    coefficients,
    explanation
from all_lines
