-- Contract hours used against included per month, the traffic light also in Russian (the
-- pie's labels and the dashboards' label colours use traffic_light_ru).
select
    u.contract_ref::text as contract_ref,
    u.client_inn,
    u.period_start,
    u.included_hours,
    u.used_hours,
    u.usage_ratio,
    u.traffic_light,
    case u.traffic_light
        when 'blue' then 'синий'
        when 'yellow' then 'жёлтый'
        when 'red' then 'красный'
        else u.traffic_light
    end as traffic_light_ru,
    u.overage_hours,
    u.overage_revenue_rub,
    c.name as client_name
from {{ ref('mart_contract_usage') }} u
left join {{ ref('dim_clients') }} c on c.client_inn = u.client_inn
