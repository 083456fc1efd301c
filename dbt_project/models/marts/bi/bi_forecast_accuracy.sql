-- Backtest accuracy of every candidate model (forecasts.forecast_accuracy): is_best marks the
-- model chosen for the series, best_baseline_mase is what it had to beat. With the
-- metric, the series and the model named in Russian («Заявки», «Регион: Москва», «Как прошлая
-- неделя»); series_name as in bi_capacity_plan, so the forecast dashboard's «Ряд прогноза»
-- filter picks the same series on both.
select
    a.series,
    case a.level
        when 'company' then 'Компания'
        when 'region' then 'Регион: ' || a.label
        when 'team' then 'Команда: ' || a.label
        else a.label
    end as series_name,
    a.metric,
    m.name_ru as metric_name,
    a.level,
    a.level_key,
    a.label,
    a.model,
    n.name_ru as model_name,
    cutoffs,
    n_cutoffs,
    first_cutoff,
    last_cutoff,
    horizon_weeks,
    n_points,
    mape,
    mase,
    min(case when a.model in ('last_week', 'moving_average', 'same_week_last_year') then mase end)
        over (partition by a.series) as best_baseline_mase,
    bias_pct,
    coverage,
    is_best,
    case when is_best then 'выбрана' else 'нет' end as choice_name,
    best_model,
    generated_at
from {{ owned_source('forecasts', 'forecast_accuracy') }} a
left join {{ ref('dim_codes') }} m on m.domain = 'forecast_metric' and m.code = a.metric
left join {{ ref('dim_codes') }} n on n.domain = 'forecast_model' and n.code = a.model
