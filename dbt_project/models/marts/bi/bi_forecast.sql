-- Weekly actuals next to the latest forecast of each week (80% band): the forecast charts.
with

latest as (
    select distinct on (series, week_start)
        series,
        week_start,
        yhat,
        yhat_lower,
        yhat_upper
    from {{ owned_source('forecasts', 'weekly_forecast') }} f
    order by series, week_start, generated_at desc
)

select
    coalesce(a.series, f.series) as series,
    coalesce(a.week_start, f.week_start) as week_start,
    a.value as actual,
    f.yhat,
    f.yhat_lower,
    f.yhat_upper
from {{ owned_source('forecasts', 'weekly_actuals') }} a
full join latest f on f.series = a.series and f.week_start = a.week_start
