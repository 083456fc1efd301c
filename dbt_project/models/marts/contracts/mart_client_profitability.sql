-- Revenue, cost and margin per client and calendar month (metrics.md):
--   expected_revenue = monthly fees + overage revenue of the client's contracts;
--   invoiced_revenue = posted, not deletion-marked 1C sales documents of the client dated in the month;
--   billing_gap = expected - invoiced (work done but not billed yet; hourly work is billed on
--   top and shown as hourly_revenue_rub, outside expected_revenue as metrics.md defines it);
--   cost = engineer hours on the client's tickets x the engineer hour cost of the work type
--   at logged_at + the bonus lines attributed to the client's tickets (ticket points, repeat
--   penalties, hourly work shares; in the line's period);
--   margin = invoiced - cost; margin_pct = margin / invoiced (null without invoices).
-- The client's name is in dim_clients (the Superset dataset joins it).
with

usage as (
    select
        client_inn,
        period_start,
        sum(monthly_fee_rub) as monthly_fee_rub,
        sum(overage_revenue_rub) as overage_revenue_rub,
        sum(expected_revenue_rub) as expected_revenue_rub,
        sum(hourly_revenue_rub) as hourly_revenue_rub,
        sum(included_hours) as included_hours,
        sum(used_hours) as used_hours
    from {{ ref('mart_contract_usage') }}
    where client_inn is not null
    group by 1, 2
),

sales as (
    select
        client_inn,
        {{ marts_period('doc_date') }} as period_start,
        sum(amount) as invoiced_revenue_rub
    from {{ ref('fct_sales') }}
    where posted and not coalesce(deletion_mark, false) and client_inn is not null
    group by 1, 2
),

labour as (
    select
        client_inn,
        period_start,
        sum(hours) as engineer_hours,
        sum(cost_rub) as labour_cost_rub
    from {{ ref('int_contracts__time_entries') }}
    where client_inn is not null
    group by 1, 2
),

bonus as (
    select
        client_inn,
        period_start,
        sum(amount_rub) as bonus_cost_rub
    from {{ ref('mart_bonus_lines') }}
    where client_inn is not null
    group by 1, 2
),

spine as (
    select client_inn, period_start from usage
    union
    select client_inn, period_start from sales
    union
    select client_inn, period_start from labour
    union
    select client_inn, period_start from bonus
),

joined as (
    select
        spine.client_inn,
        spine.period_start,
        coalesce(usage.included_hours, 0) as included_hours,
        coalesce(usage.used_hours, 0) as used_hours,
        coalesce(labour.engineer_hours, 0) as engineer_hours,
        coalesce(usage.monthly_fee_rub, 0) as monthly_fee_rub,
        coalesce(usage.overage_revenue_rub, 0) as overage_revenue_rub,
        coalesce(usage.expected_revenue_rub, 0) as expected_revenue_rub,
        coalesce(usage.hourly_revenue_rub, 0) as hourly_revenue_rub,
        coalesce(sales.invoiced_revenue_rub, 0) as invoiced_revenue_rub,
        coalesce(labour.labour_cost_rub, 0) as labour_cost_rub,
        coalesce(bonus.bonus_cost_rub, 0) as bonus_cost_rub
    from spine
    left join usage on usage.client_inn = spine.client_inn and usage.period_start = spine.period_start
    left join sales on sales.client_inn = spine.client_inn and sales.period_start = spine.period_start
    left join labour on labour.client_inn = spine.client_inn and labour.period_start = spine.period_start
    left join bonus on bonus.client_inn = spine.client_inn and bonus.period_start = spine.period_start
)

select
    {{ surrogate_key(['client_inn', 'period_start']) }} as row_id,
    client_inn,
    period_start,
    included_hours,
    used_hours,
    engineer_hours,
    monthly_fee_rub,
    overage_revenue_rub,
    expected_revenue_rub,
    hourly_revenue_rub,
    invoiced_revenue_rub,
    expected_revenue_rub - invoiced_revenue_rub as billing_gap_rub,
    labour_cost_rub,
    bonus_cost_rub,
    labour_cost_rub + bonus_cost_rub as cost_rub,
    invoiced_revenue_rub - (labour_cost_rub + bonus_cost_rub) as margin_rub,
    round((invoiced_revenue_rub - (labour_cost_rub + bonus_cost_rub)) / nullif(invoiced_revenue_rub, 0), 4)
        as margin_pct
from joined
