{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='period_start',
        on_schema_change='append_new_columns',
        post_hook=["delete from {{ this }} where row_id is null", "{{ record_incremental_run() }}"],
        indexes=[{'columns': ['period_start']}],
    )
}}
{{ marts_incremental_depends_on() }}
-- Revenue, cost and margin per client and calendar month (docs/rules.md):
--   expected_revenue = monthly fees + overage revenue of the client's contracts;
--   invoiced_revenue = posted, not deletion-marked 1C sales documents of the client dated in the month;
--   billing_gap = expected - invoiced (work done but not billed yet; hourly work is billed on
--   top and shown as hourly_revenue_rub, outside expected_revenue as docs/rules.md defines it);
--   cost = engineer hours on the client's tickets x the engineer hour cost of the work type
--   at logged_at + the bonus lines attributed to the client's tickets (ticket points, repeat
--   penalties, hourly work shares; in the line's period);
--   margin = invoiced - cost; margin_pct = margin / invoiced (null without invoices).
-- The client's name is in dim_clients (the Superset dataset joins it).
--
-- Incremental by month (delete+insert on period_start): a nightly run recomputes the months a
-- changed record can reach (marts_touched: time entries and tickets loaded since the last
-- build, as for mart_bonus_lines; all months when tariffs or coefficients change) and the
-- months whose contract usage or invoiced sales per client differ from the stored rows (both
-- small: summed in full and compared); labour and bonus cost are then summed over those
-- months only (indexes on period_start) instead of every time entry and bonus line. A
-- recomputed month left without any row comes as one row without row_id (removed by the
-- post-hook).
{%- set touched = marts_touched('month') %}
{%- set months = none %}
{%- if touched is not none %}
{%- set q %}
    with usage as (
        select client_inn, period_start, sum(monthly_fee_rub) as monthly_fee_rub, sum(overage_revenue_rub) as overage_revenue_rub,
               sum(expected_revenue_rub) as expected_revenue_rub, sum(hourly_revenue_rub) as hourly_revenue_rub,
               sum(included_hours) as included_hours, sum(used_hours) as used_hours
        from {{ ref('mart_contract_usage') }} where client_inn is not null group by 1, 2
    ),
    sales as (
        select client_inn, {{ marts_period('doc_date') }} as period_start, sum(amount) as invoiced_revenue_rub
        from {{ ref('fct_sales') }}
        where posted and not coalesce(deletion_mark, false) and client_inn is not null group by 1, 2
    ),
    fresh as (
        select coalesce(u.client_inn, s.client_inn) as client_inn, coalesce(u.period_start, s.period_start) as period_start,
               coalesce(u.included_hours, 0) as included_hours, coalesce(u.used_hours, 0) as used_hours,
               coalesce(u.monthly_fee_rub, 0) as monthly_fee_rub, coalesce(u.overage_revenue_rub, 0) as overage_revenue_rub,
               coalesce(u.expected_revenue_rub, 0) as expected_revenue_rub, coalesce(u.hourly_revenue_rub, 0) as hourly_revenue_rub,
               coalesce(s.invoiced_revenue_rub, 0) as invoiced_revenue_rub
        from usage as u full join sales as s on s.client_inn = u.client_inn and s.period_start = u.period_start
    ),
    fresh_rows as (
        select * from fresh
        where included_hours <> 0 or used_hours <> 0 or monthly_fee_rub <> 0 or overage_revenue_rub <> 0
            or expected_revenue_rub <> 0 or hourly_revenue_rub <> 0 or invoiced_revenue_rub <> 0
    ),
    stored as (
        select client_inn, period_start, included_hours, used_hours, monthly_fee_rub, overage_revenue_rub,
               expected_revenue_rub, hourly_revenue_rub, invoiced_revenue_rub
        from {{ this }}
        where included_hours <> 0 or used_hours <> 0 or monthly_fee_rub <> 0 or overage_revenue_rub <> 0
            or expected_revenue_rub <> 0 or hourly_revenue_rub <> 0 or invoiced_revenue_rub <> 0
    )
    select distinct coalesce(f.period_start, st.period_start)::text
    from fresh_rows as f
    full join stored as st on st.client_inn = f.client_inn and st.period_start = f.period_start
    where (f.included_hours, f.used_hours, f.monthly_fee_rub, f.overage_revenue_rub, f.expected_revenue_rub,
           f.hourly_revenue_rub, f.invoiced_revenue_rub)
          is distinct from
          (st.included_hours, st.used_hours, st.monthly_fee_rub, st.overage_revenue_rub, st.expected_revenue_rub,
           st.hourly_revenue_rub, st.invoiced_revenue_rub)
{%- endset %}
{%- set months = run_query(q).columns[0].values() | list %}
{%- do log('mart_client_profitability months (usage/sales): ' ~ months, info=false) %}
{%- endif %}
{%- if touched is none %}{% set month_filter = 'true' %}
{%- else %}
{%- set month_filter = '(' ~ marts_period_in(touched, 'period_start') ~ (" or period_start in ('" ~ months | join("'::date, '") ~ "'::date)" if months else '') ~ ')' %}
{%- endif %}
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
    where client_inn is not null and {{ month_filter }}
    group by 1, 2
),

sales as (
    select
        client_inn,
        {{ marts_period('doc_date') }} as period_start,
        sum(amount) as invoiced_revenue_rub
    from {{ ref('fct_sales') }}
    where posted and not coalesce(deletion_mark, false) and client_inn is not null
        and {{ month_filter | replace('period_start', marts_period('doc_date')) }}
    group by 1, 2
),

labour as (
    select
        client_inn,
        period_start,
        sum(hours) as engineer_hours,
        sum(cost_rub) as labour_cost_rub
    from {{ ref('int_contracts__time_entries') }}
    where client_inn is not null and {{ month_filter }}
    group by 1, 2
),

bonus as (
    select
        client_inn,
        period_start,
        sum(amount_rub) as bonus_cost_rub
    from {{ ref('mart_bonus_lines') }}
    where client_inn is not null and {{ month_filter }}
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

, final as (
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
)

{%- if touched is none %}
select * from final
{%- else %}
select final.* from final
union all
-- a recomputed month without any row: one row without row_id replaces its old rows
select null, null, m.period_start, null, null, null, null, null, null, null, null, null, null, null, null, null, null
from (
    select null::date as period_start where false
    {%- for r in touched.ranges %}
    union select generate_series('{{ r[0] }}'::date, '{{ r[1] }}'::date - 1, interval '1 month')::date
    {%- endfor %}
    {%- for m in months %}
    union select '{{ m }}'::date
    {%- endfor %}
) as m
where not exists (select 1 from final where final.period_start = m.period_start)
{%- endif %}
