-- Weekly actuals next to the latest forecast of each week (the chosen model, its 80% band from
-- the backtest's errors and that band's backtest coverage): the forecast charts.
with

latest as (
    select distinct on (series, week_start)
        series,
        week_start,
        yhat,
        yhat_lower,
        yhat_upper,
        model,
        band_coverage
    from {{ owned_source('forecasts', 'weekly_forecast') }} f
    order by series, week_start, generated_at desc
)

select
    coalesce(a.series, f.series) as series,
    coalesce(a.week_start, f.week_start) as week_start,
    a.value as actual,
    f.yhat,
    f.yhat_lower,
    f.yhat_upper,
    f.model,
    f.band_coverage
from {{ owned_source('forecasts', 'weekly_actuals') }} a
full join latest f on f.series = a.series and f.week_start = a.week_start
