-- The engineer's month so far (mart_engineer_month_value, computed when queried): accrued and
-- projected bonus, the next KPI multiplier, SLA and repeat share against the 1C thresholds.
select
    personnel_no,
    full_name,
    team_name,
    region_name,
    period_start,
    as_of,
    accrued_rub,
    projected_rub,
    days_worked,
    days_left,
    open_tickets,
    open_value_now_rub,
    closed_tickets,
    sla_total,
    sla_met,
    sla_rate,
    kpi_sla_high_threshold,
    kpi_sla_low_threshold,
    multiplier_now,
    multiplier_next,
    tickets_to_next,
    next_multiplier_gain_rub,
    kpi_next_step,
    -- the thresholds as the screens write them: «≥ 95 % → ×1,10; < 85 % → ×0,90»
    '≥ ' || replace(trim_scale(100 * kpi_sla_high_threshold)::text, '.', ',') || ' % → '
        || ('×' || replace(to_char(kpi_sla_high_multiplier, 'FM990.00'), '.', ',')) || '; < '
        || replace(trim_scale(100 * kpi_sla_low_threshold)::text, '.', ',') || ' % → '
        || ('×' || replace(to_char(kpi_sla_low_multiplier, 'FM990.00'), '.', ',')) as kpi_thresholds,
    repeated_tickets,
    repeat_share,
    repeat_penalty_rub,
    -- what a repeat costs under the 1C rule 2 coefficients
    'повтор в ' || trim_scale(repeat_window_days)::text || ' дн. — минус '
        || replace(trim_scale(100 * repeat_penalty_share)::text, '.', ',') || ' % баллов заявки' as repeat_rule
from {{ ref('mart_engineer_month_value') }}
