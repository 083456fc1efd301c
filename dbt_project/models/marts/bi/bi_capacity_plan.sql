-- Forecast work hours against scheduled shift hours per week (forecasts.capacity_plan), one row
-- per series and week: the company, each region and each team. series_name names the series
-- in Russian (the forecast dashboard's «Ряд прогноза» filter): a chart shows one series' own
-- numbers, never a sum over the levels (a region's gap is part of the company's).
-- forecast_hours_upper is the calibrated upper band (band_coverage: its backtest coverage).
select
    series,
    level,
    level_key,
    label,
    case level
        when 'company' then 'Компания'
        when 'region' then 'Регион: ' || label
        when 'team' then 'Команда: ' || label
        else label
    end as series_name,
    week_start,
    forecast_hours,
    forecast_hours_upper,
    scheduled_hours,
    scheduled_shifts,
    schedule_published,
    roster_hours,
    capacity_basis,
    typical_shift_hours,
    capacity_gap_hours,
    extra_shifts_needed,
    band_coverage,
    generated_at
from {{ owned_source('forecasts', 'capacity_plan') }} p
