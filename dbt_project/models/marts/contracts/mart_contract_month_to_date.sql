{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='period_start',
        on_schema_change='append_new_columns',
        post_hook=["delete from {{ this }} where period_start < (select max(period_start) from {{ this }})"],
    )
}}
-- The current month of every contract in force, as of the newest time entry (docs/marts.md
-- "Contract overrun ahead of time"): hours used so far against the included hours, and the day
-- the running total reached 80% and passed 100% of them. mart_contract_projection projects it
-- to the month's end with the forecast's seasonality.
--
-- as_of_date: the company-local day of the newest time entry (the data's "today"; the marts are
-- built from what was loaded, not from the wall clock). The month is that day's month; the
-- contract's days in it run from active_from (the month's first day or the contract's start)
-- to period_end (the month's last day or the contract's end). Included hours are per calendar
-- month, never prorated (docs/rules.md), also for a contract starting mid-month.
--
-- Incremental (delete+insert on period_start) rather than a table: mart_contract_projection is a
-- view over it built after the forecasts, and a table rebuild (rename + drop cascade) would drop
-- that view in a nightly run, which does not rebuild the forecast views. Each run recomputes the
-- current month from that month's entries (index on period_start); the post-hook drops the
-- months before it.
with

last_month as (
    select max(period_start) as period_start from {{ ref('int_contracts__time_entries') }}
),

as_of as (
    select
        (max(e.logged_at) at time zone '{{ company_tz() }}')::date as as_of_date
    from {{ ref('int_contracts__time_entries') }} as e
    where e.period_start = (select period_start from last_month) and e.logged_at is not null
),

month as (
    select
        as_of_date,
        date_trunc('month', as_of_date)::date as period_start,
        (date_trunc('month', as_of_date) + interval '1 month - 1 day')::date as month_end
    from as_of
    where as_of_date is not null
),

contracts as (
    select
        c.contract_ref,
        c.client_inn,
        c.name as contract_name,
        month.period_start,
        month.as_of_date,
        greatest(c.start_date, month.period_start) as active_from,
        least(coalesce(c.end_date, month.month_end), month.month_end) as period_end,
        coalesce(c.included_hours, 0) as included_hours,
        coalesce(c.overage_rate, 0) as overage_rate_rub
    from {{ ref('dim_contracts') }} as c
    cross join month
    where not coalesce(c.is_deleted, false)
        and c.start_date <= month.month_end
        and (c.end_date is null or c.end_date >= month.period_start)
),

daily as (
    select
        e.contract_ref,
        (e.logged_at at time zone '{{ company_tz() }}')::date as day,
        sum(e.hours) as hours
    from {{ ref('int_contracts__time_entries') }} as e
    where e.period_start = (select period_start from month)
        and e.counts_against_included
        and e.contract_ref is not null
    group by 1, 2
),

running as (
    select
        contract_ref,
        day,
        sum(hours) over (partition by contract_ref order by day) as used_so_far
    from daily
),

used as (
    select
        running.contract_ref,
        max(running.used_so_far) as used_hours,
        min(running.day) filter (where running.used_so_far >= 0.80 * contracts.included_hours) as crossed_80_on,
        min(running.day) filter (where running.used_so_far > contracts.included_hours) as crossed_100_on
    from running
    join contracts using (contract_ref)
    group by 1
)

select
    {{ surrogate_key(['contracts.contract_ref', 'contracts.period_start']) }} as row_id,
    contracts.contract_ref,
    contracts.client_inn,
    contracts.contract_name,
    contracts.period_start,
    contracts.as_of_date,
    contracts.active_from,
    contracts.period_end,
    contracts.included_hours::numeric(12, 2) as included_hours,
    contracts.overage_rate_rub::numeric(14, 2) as overage_rate_rub,
    coalesce(used.used_hours, 0)::numeric(12, 2) as used_hours,
    case when contracts.included_hours > 0 then used.crossed_80_on end as crossed_80_on,
    case when contracts.included_hours > 0 then used.crossed_100_on end as crossed_100_on
from contracts
left join used using (contract_ref)
