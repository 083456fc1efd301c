-- Revenue, cost and margin per client and month with the client's name.
select
    p.client_inn,
    p.period_start,
    p.expected_revenue_rub,
    p.invoiced_revenue_rub,
    p.billing_gap_rub,
    p.cost_rub,
    p.margin_rub,
    p.margin_pct,
    c.name as client_name
from {{ ref('mart_client_profitability') }} p
left join {{ ref('dim_clients') }} c on c.client_inn = p.client_inn
