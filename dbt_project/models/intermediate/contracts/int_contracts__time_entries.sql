{{ config(materialized='table') }}
-- Time entries with the money the contract marts need: the contract period (month of
-- logged_at in the company zone; fct_time_entries.contract_ref is the client's contract
-- in force on logged_at's date), whether the hours count against included hours (all but
-- hourly_work), and the engineer's cost and client's rate of the work type at logged_at.
with

entries as (
    select * from {{ ref('fct_time_entries') }}
)

select
    entries.time_entry_id,
    entries.ticket_id,
    entries.personnel_no,
    entries.client_inn,
    entries.contract_ref,
    entries.work_type,
    entries.activity,
    entries.logged_at,
    {{ marts_period('entries.logged_at') }} as period_start,
    entries.hours,
    entries.activity <> 'hourly_work' as counts_against_included,
    tariff.engineer_cost as engineer_hour_cost,
    tariff.client_rate as client_hour_rate,
    round(entries.hours * coalesce(tariff.engineer_cost, 0), 2) as cost_rub,
    case when entries.activity = 'hourly_work'
        then round(entries.hours * coalesce(tariff.client_rate, 0), 2) else 0 end as hourly_revenue_rub
from entries
left join lateral (
    select st.engineer_cost, st.client_rate from {{ ref('dim_service_tariffs') }} as st
    where st.work_type = entries.work_type and st.valid_from <= entries.logged_at
    order by st.valid_from desc
    limit 1
) as tariff on true
