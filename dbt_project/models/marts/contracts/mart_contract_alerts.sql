-- Contracts whose usage reached 80% of the included hours in a month (metrics.md): the
-- account manager should offer extra paid hours. One row per contract and month, with the
-- moment the running total of used hours first reached 80% (crossed_80_at) and 100%
-- (crossed_100_at, null if not yet).
with

usage as (
    select * from {{ ref('mart_contract_usage') }}
    where is_ratio_rated and usage_ratio >= 0.80
),

running as (
    select
        contract_ref,
        period_start,
        logged_at,
        sum(hours) over (
            partition by contract_ref, period_start
            order by logged_at, time_entry_id
            rows between unbounded preceding and current row
        ) as used_so_far
    from {{ ref('int_contracts__time_entries') }}
    where counts_against_included and contract_ref is not null
),

crossings as (
    select
        running.contract_ref,
        running.period_start,
        min(running.logged_at) filter (where running.used_so_far >= 0.80 * usage.included_hours) as crossed_80_at,
        min(running.logged_at) filter (where running.used_so_far > usage.included_hours) as crossed_100_at
    from running
    join usage using (contract_ref, period_start)
    group by 1, 2
)

select
    usage.row_id as alert_id,
    usage.contract_ref,
    usage.client_inn,
    usage.client_name,
    usage.contract_name,
    usage.period_start,
    usage.included_hours,
    usage.used_hours,
    usage.usage_ratio,
    usage.traffic_light,
    case
        when usage.traffic_light = 'red' then 'Перерасход более 20%: согласовать доплату'
        when usage.usage_ratio > 1 then 'Лимит часов превышен: предложить доп. часы'
        else 'Израсходовано 80% часов: предложить доп. часы'
    end as alert_text,
    crossings.crossed_80_at,
    crossings.crossed_100_at
from usage
left join crossings using (contract_ref, period_start)
