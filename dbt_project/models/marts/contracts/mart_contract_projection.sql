{{ config(materialized='view') }}
-- Contract overrun ahead of time (docs/marts.md): the current month of each contract in force
-- (mart_contract_month_to_date) projected to its end from the month's pace, weighted by the
-- weekly forecast's seasonality.
--
-- Day weights: each day weighs its ISO week's company work hours: the complete week's actual
-- (forecasts.weekly_actuals), else the latest forecast of the week (weekly_forecast); a day of a
-- week with neither weighs the mean of the month's known days, a month with none weighs 1 a day
-- (a flat pace). The pace is the hours used per unit of weight over the contract's elapsed days
-- (active_from .. as_of_date); the remaining days (after as_of_date, to period_end) get that pace
-- times their weight:
--   projected = used + used x weight(remaining days) / weight(elapsed days)
-- (no elapsed day: projected = used). A busy week ahead raises the projection, a holiday week
-- lowers it. Crossing days: the day the running total reached 80% (>= 0.8 x included) and
-- passed 100% (> included), already happened (the actual day) or projected; null without
-- included hours or if the projection does not get there.
-- Early warning: the projection passes 100% while the hours used are still below 80% (the
-- account manager hears it before the 80% alert of mart_contract_alerts).
with

mtd as (
    select * from {{ ref('mart_contract_month_to_date') }}
),

actual_weeks as (
    select week_start, max(value) as hours
    from {{ owned_source('forecasts', 'weekly_actuals') }} as a
    where a.series = 'hours:company'
    group by 1
),

forecast_weeks as (
    select distinct on (week_start) week_start, yhat as hours
    from {{ owned_source('forecasts', 'weekly_forecast') }} as f
    where f.series = 'hours:company'
    order by week_start, generated_at desc
),

month_days as (
    select months.period_start, d::date as day
    from (select distinct period_start from mtd) as months
    cross join lateral generate_series(
        months.period_start, (months.period_start + interval '1 month - 1 day')::date, interval '1 day') as d
),

known as (
    select
        md.period_start,
        md.day,
        case when coalesce(a.hours, f.hours) > 0 then coalesce(a.hours, f.hours) end as weight
    from month_days as md
    left join actual_weeks as a on a.week_start = date_trunc('week', md.day)::date
    left join forecast_weeks as f on f.week_start = date_trunc('week', md.day)::date
),

day_weights as (
    select
        period_start,
        day,
        coalesce(weight, avg(weight) over (partition by period_start), 1) as weight
    from known
),

contract_days as (
    select
        mtd.row_id,
        w.day,
        w.weight,
        w.day <= mtd.as_of_date as is_elapsed,
        sum(w.weight) filter (where w.day > mtd.as_of_date) over (partition by mtd.row_id order by w.day)
            as weight_ahead_to_day
    from mtd
    join day_weights as w
        on w.period_start = mtd.period_start and w.day between mtd.active_from and mtd.period_end
),

weights as (
    select
        row_id,
        coalesce(sum(weight) filter (where is_elapsed), 0) as elapsed_weight,
        coalesce(sum(weight) filter (where not is_elapsed), 0) as remaining_weight
    from contract_days
    group by 1
),

projected_days as (
    -- the projected running total on each remaining day
    select
        cd.row_id,
        cd.day,
        mtd.used_hours + mtd.used_hours * cd.weight_ahead_to_day / w.elapsed_weight as projected_so_far
    from contract_days as cd
    join weights as w using (row_id)
    join mtd using (row_id)
    where not cd.is_elapsed and w.elapsed_weight > 0 and mtd.included_hours > 0
),

projected_crossings as (
    select
        pd.row_id,
        min(pd.day) filter (where pd.projected_so_far >= 0.80 * mtd.included_hours) as projected_80_on,
        min(pd.day) filter (where pd.projected_so_far > mtd.included_hours) as projected_100_on
    from projected_days as pd
    join mtd using (row_id)
    group by 1
),

projected as (
    select
        mtd.*,
        coalesce(w.elapsed_weight, 0) as elapsed_weight,
        coalesce(w.remaining_weight, 0) as remaining_weight,
        mtd.used_hours + case when w.elapsed_weight > 0
            then mtd.used_hours * w.remaining_weight / w.elapsed_weight else 0 end as projected_raw,
        coalesce(mtd.crossed_80_on, pc.projected_80_on) as cross_80_on,
        coalesce(mtd.crossed_100_on, pc.projected_100_on) as cross_100_on
    from mtd
    left join weights as w using (row_id)
    left join projected_crossings as pc using (row_id)
),

rated as (
    select
        projected.*,
        case when included_hours > 0 then projected_raw / included_hours end as ratio_raw,
        case when included_hours > 0 then greatest(projected_raw - included_hours, 0) else 0 end as overage_raw
    from projected
)

select
    row_id,
    contract_ref,
    client_inn,
    contract_name,
    period_start,
    as_of_date,
    active_from,
    period_end,
    included_hours,
    overage_rate_rub,
    used_hours,
    case when included_hours > 0 then round(used_hours / included_hours, 4) end::numeric(10, 4) as usage_ratio,
    round(projected_raw, 2)::numeric(12, 2) as projected_hours,
    round(ratio_raw, 4)::numeric(10, 4) as projected_ratio,
    cross_80_on as projected_80_on,
    cross_100_on as projected_100_on,
    round(overage_raw, 2)::numeric(12, 2) as projected_overage_hours,
    round(overage_raw * overage_rate_rub, 2)::numeric(14, 2) as projected_overage_rub,
    included_hours > 0 and projected_raw > included_hours as is_projected_over,
    included_hours > 0 and projected_raw > included_hours and used_hours < 0.80 * included_hours
        as is_early_warning,
    case when included_hours > 0 and projected_raw > included_hours then
        -- «по прогнозу 128 % к 30.11; перерасход ~12 ч, 54 000 ₽» (no-break spaces inside figures)
        'по прогнозу ' || round(ratio_raw * 100)::text || chr(160) || '% к ' || to_char(period_end, 'DD.MM')
        || '; перерасход ~' || greatest(round(overage_raw), 1)::text || chr(160) || 'ч, '
        || replace(to_char(round(overage_raw * overage_rate_rub), 'FM999,999,999,990'), ',', chr(160))
        || chr(160) || '₽'
    end as alert_text
from rated
