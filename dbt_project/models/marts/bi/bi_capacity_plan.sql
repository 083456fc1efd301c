-- Forecast work hours against scheduled shift hours per week (forecasts.capacity_plan).
select
    series,
    level,
    level_key,
    label,
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
    generated_at
from {{ owned_source('forecasts', 'capacity_plan') }} p
