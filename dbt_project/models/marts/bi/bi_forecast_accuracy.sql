-- Backtest accuracy of the forecast and its baselines (forecasts.forecast_accuracy).
select
    series,
    metric,
    level,
    level_key,
    label,
    model,
    cutoffs,
    n_cutoffs,
    first_cutoff,
    last_cutoff,
    horizon_weeks,
    n_points,
    mape,
    mase,
    is_best,
    best_model,
    generated_at
from {{ owned_source('forecasts', 'forecast_accuracy') }} a
