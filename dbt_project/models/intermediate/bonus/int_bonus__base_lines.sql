{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='period_start',
        on_schema_change='append_new_columns',
        post_hook="{{ record_incremental_run() }}",
        indexes=[{'columns': ['period_start', 'personnel_no']}],
    )
}}
{{ marts_incremental_depends_on() }}
-- Incremental by period (macros/marts/marts_incremental.sql): the months a record loaded
-- since the last build can reach are recomputed whole and replace the old lines.
-- Bonus rules 1-4 of docs/rules.md as lines (ticket_points, repeat_penalty, duty_shift,
-- hourly_work_share), matched and unmatched engineers alike (personnel_no null = unmatched;
-- mart_bonus_lines keeps the matched ones). Rules 5 and 6 need the period totals and are
-- added in mart_bonus_lines.
{%- set touched = marts_touched('month') %}
{#- Numbers in the Russian explanations (`{{ ru_num | format(expr) }}`): decimal comma,
    typographic minus, no trailing zeros (1,25; 3; 0,5); money with two decimals (703,50). -#}
{%- set ru_num = "replace(replace(trim_scale((%s)::numeric)::text, '.', ','), '-', '−')" %}
{%- set ru_money = "replace(replace(round((%s)::numeric, 2)::text, '.', ','), '-', '−')" %}
with

-- not materialized: read twice (the month's points lines by period_start, the penalised
-- tickets by ticket_id), each through its own index
ticket_points as not materialized (
    select * from {{ ref('int_bonus__ticket_points') }}
),

repeats as (
    select * from {{ ref('int_bonus__repeats') }}
    where is_first_repeat and {{ marts_ts_in(touched, 'repeated_at') }}
),

coefficient_sets as (
    select * from {{ ref('int_bonus__coefficient_sets') }}
),

-- the Russian names the explanations use
work_type_names as (
    select work_type, name_ru from {{ ref('dim_work_types') }}
),

shift_type_names as (
    select code as shift_type, name_ru from {{ ref('dim_codes') }} where domain = 'shift_type'
),

points_lines as (
    select
        personnel_no,
        period_start,
        'ticket_points' as line_kind,
        source_event_id,
        completed_at as event_at,
        ticket_id,
        client_inn,
        points,
        amount_rub,
        jsonb_build_object(
            'base_points', base_points,
            'complexity_' || complexity_n, complexity_coef,
            'sla_breach_factor', sla_factor,
            'urgency_u', round(urgency_u, 6),
            'urgency_weight_max', urgency_weight_max,
            'escalation_bonus', case when is_escalated then escalation_bonus else 0 end,
            'w', round(weight_w, 6),
            'points_rate_rub', points_rate_rub
        ) as coefficients,
        'Заявка #' || ticket_id || ' (' || coalesce(wt.name_ru, tp.work_type, 'вид работ не указан') || '): '
        || case
            when is_unpriced then '0 баллов (вида работ нет в прайсе баллов)'
            else {{ ru_num | format('base_points') }} || ' балл.'
        end
        || ' × ' || {{ ru_num | format('complexity_coef') }}
        || case
            when complexity is null then ' (сложность не указана, взята 2)'
            else ' (сложность ' || complexity_n || ')'
        end
        || ' × ' || {{ ru_num | format('sla_factor') }}
        || case
            when deadline_at is null then ' (без срока SLA)'
            when sla_breached then ' (SLA нарушен)'
            else ' (SLA соблюдён)'
        end
        || ' × ' || {{ ru_num | format('round(weight_w, 4)') }}
        || ' (срочность ' || {{ ru_num | format('round(urgency_u, 2)') }}
        || case when is_escalated then ', эскалация' else '' end || ')'
        || ' = ' || {{ ru_num | format('points') }} || ' балл. × '
        || {{ ru_num | format('points_rate_rub') }} || ' ₽ = ' || {{ ru_money | format('amount_rub') }} || ' ₽'
        as explanation
    from ticket_points as tp
    left join work_type_names as wt on wt.work_type = tp.work_type
    where {{ marts_period_in(touched, 'period_start') }}
),

penalties as (
    select
        tp.personnel_no,
        {{ marts_period('r.repeated_at') }} as period_start,
        'repeat_penalty' as line_kind,
        r.repeat_event_id as source_event_id,
        r.repeated_at as event_at,
        tp.ticket_id,
        tp.client_inn,
        null::numeric as points,
        (-round(tp.amount_rub * cs.repeat_penalty_share, 2))::numeric(14, 2) as amount_rub,
        jsonb_build_object(
            'repeat_penalty_share', cs.repeat_penalty_share,
            'repeat_window_days', r.repeat_window_days,
            'ticket_points_rub', tp.amount_rub
        ) as coefficients,
        'Повтор по заявке #' || tp.ticket_id || ' ('
        || case
            when r.repeat_kind = 'reopen' then 'переоткрыта'
            else 'новая заявка #' || r.repeat_ticket_id
        end
        || ' через ' || {{ ru_num | format('round(extract(epoch from r.repeated_at - tp.completed_at) / 86400, 1)') }}
        || ' дн. после выполнения, окно ' || {{ ru_num | format('r.repeat_window_days') }} || ' дн.): −('
        || {{ ru_money | format('tp.amount_rub') }} || ' ₽ × ' || {{ ru_num | format('cs.repeat_penalty_share') }}
        || ') = ' || {{ ru_money | format('-round(tp.amount_rub * cs.repeat_penalty_share, 2)') }} || ' ₽'
        as explanation
    from repeats as r
    join ticket_points as tp on tp.ticket_id = r.ticket_id
    left join coefficient_sets as cs on {{ in_force('cs', 'r.repeated_at') }}
),

penalty_lines as (
    select * from penalties where amount_rub <> 0
),

duty as (
    select
        s.shift_id,
        s.personnel_no,
        s.shift_type,
        coalesce(s.actual_start, s.planned_start) as started_at,
        coalesce(tariff.rate, 0) as rate,
        tariff.rate is null as is_unpriced
    from {{ ref('fct_shifts') }} as s
    left join lateral (
        select d.rate from {{ ref('dim_duty_tariffs') }} as d
        where d.shift_type = s.shift_type and d.valid_from <= coalesce(s.actual_start, s.planned_start)
        order by d.valid_from desc
        limit 1
    ) as tariff on true
    where s.status = 'worked'
        and s.shift_type in ('duty_day', 'duty_night', 'duty_weekend')
        and not coalesce(s.is_deleted, false)
        and {{ marts_ts_in(touched, 'coalesce(s.actual_start, s.planned_start)') }}
),

duty_lines as (
    select
        duty.personnel_no,
        {{ marts_period('duty.started_at') }} as period_start,
        'duty_shift' as line_kind,
        -- fct_events.event_id of the shift_worked event (same surrogate key)
        {{ surrogate_key(["'shift_worked'", "'schedule'", 'duty.shift_id']) }} as source_event_id,
        duty.started_at as event_at,
        null::bigint as ticket_id,
        null::text as client_inn,
        null::numeric as points,
        round(duty.rate, 2)::numeric(14, 2) as amount_rub,
        jsonb_build_object('duty_rate_rub', duty.rate) as coefficients,
        coalesce(sn.name_ru, duty.shift_type) || ' '
        || to_char(duty.started_at at time zone '{{ company_tz() }}', 'DD.MM.YYYY HH24:MI')
        || case
            when duty.is_unpriced then ': ставки нет в 1С, 0,00 ₽'
            else ': ставка ' || {{ ru_money | format('duty.rate') }} || ' ₽'
        end as explanation
    from duty
    left join shift_type_names as sn on sn.shift_type = duty.shift_type
),

hourly as (
    select
        te.time_entry_id,
        te.ticket_id,
        te.personnel_no,
        te.client_inn,
        te.work_type,
        te.logged_at,
        te.hours,
        coalesce(tariff.client_rate, 0) as client_rate,
        tariff.client_rate is null as is_unpriced,
        cs.hourly_work_share
    from {{ ref('fct_time_entries') }} as te
    left join coefficient_sets as cs on {{ in_force('cs', 'te.logged_at') }}
    left join lateral (
        select st.client_rate from {{ ref('dim_service_tariffs') }} as st
        where st.work_type = te.work_type and st.valid_from <= te.logged_at
        order by st.valid_from desc
        limit 1
    ) as tariff on true
    where te.activity = 'hourly_work'
        and {{ marts_ts_in(touched, 'te.logged_at') }}
),

hourly_lines as (
    select
        hourly.personnel_no,
        {{ marts_period('hourly.logged_at') }} as period_start,
        'hourly_work_share' as line_kind,
        -- fct_events.event_id of the work_logged event (same surrogate key)
        {{ surrogate_key(["'work_logged'", "'helpdesk'", 'hourly.time_entry_id']) }} as source_event_id,
        hourly.logged_at as event_at,
        hourly.ticket_id,
        hourly.client_inn,
        null::numeric as points,
        round(hourly.hours * hourly.client_rate * hourly.hourly_work_share, 2)::numeric(14, 2) as amount_rub,
        jsonb_build_object(
            'hours', hourly.hours,
            'client_rate_rub', hourly.client_rate,
            'hourly_work_share', hourly.hourly_work_share
        ) as coefficients,
        'Почасовая работа по заявке #' || hourly.ticket_id || ' (' || coalesce(wt.name_ru, hourly.work_type, 'вид работ не указан') || '): '
        || {{ ru_num | format('hourly.hours') }} || ' ч × ' || {{ ru_num | format('hourly.client_rate') }} || ' ₽/ч'
        || case when hourly.is_unpriced then ' (ставки нет в 1С)' else '' end
        || ' × ' || {{ ru_num | format('hourly.hourly_work_share') }} || ' = '
        || {{ ru_money | format('hourly.hours * hourly.client_rate * hourly.hourly_work_share') }} || ' ₽'
        as explanation
    from hourly
    left join work_type_names as wt on wt.work_type = hourly.work_type
),

unioned as (
    select * from points_lines
    union all
    select * from penalty_lines
    union all
    select * from duty_lines
    union all
    select * from hourly_lines
)

select
    personnel_no,
    period_start,
    line_kind,
    source_event_id,
    event_at,
    ticket_id,
    client_inn,
    points,
    amount_rub,
    coefficients,
    explanation
from unioned
