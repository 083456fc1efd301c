-- The current month's projection per contract (mart_contract_projection) with the client's name
-- and the status in Russian (the contracts dashboard's «Прогноз перерасхода» charts).
select
    p.row_id,
    p.contract_ref::text as contract_ref,
    p.contract_name,
    p.client_inn,
    c.name as client_name,
    p.period_start,
    p.as_of_date,
    p.period_end,
    p.included_hours,
    p.used_hours,
    p.usage_ratio,
    p.projected_hours,
    p.projected_ratio,
    p.projected_80_on,
    p.projected_100_on,
    p.projected_overage_hours,
    p.projected_overage_rub,
    p.is_projected_over,
    p.is_early_warning,
    case
        when p.is_early_warning then 'ранний сигнал'
        when p.is_projected_over then 'перерасход по прогнозу'
        when p.included_hours > 0 then 'в пределах лимита'
        else 'без лимита часов'
    end as projection_status_ru,
    p.alert_text
from {{ ref('mart_contract_projection') }} p
left join (select distinct on (client_inn) client_inn, name from {{ ref('dim_clients') }}) c on c.client_inn = p.client_inn
