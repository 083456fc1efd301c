-- One row per (contract, calendar month) in which the contract is in force, from its
-- start month to its end month (open contracts: to the last month with data), plus any
-- month in which time entries were booked on it. Deleted (deletion-marked) contracts are
-- left out unless hours were booked on them.
with

contracts as (
    select * from {{ ref('dim_contracts') }}
),

entries as (
    select distinct contract_ref, period_start
    from {{ ref('int_contracts__time_entries') }}
    where contract_ref is not null
),

last_month as (
    -- shared with mart_contract_usage's incremental months (macros/marts/marts_contract_usage.sql)
    select {{ contract_usage_last_month() }} as period_start
),

in_force as (
    select
        contracts.contract_ref,
        generate_series(
            date_trunc('month', contracts.start_date)::date,
            date_trunc('month', coalesce(contracts.end_date, last_month.period_start))::date,
            interval '1 month'
        )::date as period_start
    from contracts
    cross join last_month
    where not coalesce(contracts.is_deleted, false)
)

select contract_ref, period_start from in_force
union
select contract_ref, period_start from entries
