{{ config(materialized='table') }}
-- Every 1C coefficient (docs/rules.md codes) pivoted into one column, one row per moment at
-- which any of them changes: the set in force at t is the row with
-- valid_from <= t < coalesce(valid_to, infinity). A code with no value yet is null.
{%- set codes = [
    'points_rate_rub',
    'complexity_1', 'complexity_2', 'complexity_3', 'complexity_4', 'complexity_5',
    'sla_breach_factor', 'urgency_weight_max', 'escalation_bonus',
    'repeat_window_days', 'repeat_penalty_share', 'hourly_work_share',
    'kpi_sla_high_threshold', 'kpi_sla_high_multiplier',
    'kpi_sla_low_threshold', 'kpi_sla_low_multiplier',
    'load_w_sites', 'load_w_fleet', 'load_w_hours', 'load_w_complexity',
] %}
with

coefficients as (
    select code, value, valid_from from {{ ref('dim_bonus_coefficients') }}
),

changes as (
    select distinct valid_from from coefficients
),

sets as (
    select
        changes.valid_from,
        lead(changes.valid_from) over (order by changes.valid_from) as valid_to
        {%- for code in codes %},
        (
            select c.value from coefficients as c
            where c.code = '{{ code }}' and c.valid_from <= changes.valid_from
            order by c.valid_from desc
            limit 1
        ) as {{ code }}
        {%- endfor %}
    from changes
)

select * from sets
