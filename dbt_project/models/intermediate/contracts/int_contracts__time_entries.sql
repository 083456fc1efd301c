{{
    config(
        materialized='incremental',
        unique_key='time_entry_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        post_hook=["delete from {{ this }} where period_start is null and logged_at is null",
                   "{{ record_incremental_run() }}"],
        indexes=[{'columns': ['time_entry_id'], 'unique': True}, {'columns': ['_source_loaded_at']},
                 {'columns': ['period_start']}],
    )
}}
-- depends_on: {{ ref('stg_onec__bonus_coefficients') }}
-- depends_on: {{ ref('stg_onec__points_prices') }}
-- depends_on: {{ ref('stg_onec__duty_tariffs') }}
-- depends_on: {{ ref('stg_onec__service_tariffs') }}
-- depends_on: {{ ref('int_time_entries_enriched') }}
-- reads {{ source('raw_meta', 'loads') }}
-- Time entries with the money the contract marts need: the contract period (month of
-- logged_at in the company zone; fct_time_entries.contract_ref is the client's contract
-- in force on logged_at's date), whether the hours count against included hours (all but
-- hourly_work), and the engineer's cost and client's rate of the work type at logged_at.
--
-- Incremental (delete+insert on time_entry_id): entries loaded since this model's last build
-- (macros/marts/marts_incremental.sql), or logged on/after the Period of a 1C tariff row
-- loaded since then. An entry deleted/vanished in the help desk (gone from fct_time_entries) comes as a
-- row without logged_at from int_time_entries_enriched; it replaces the old row and the
-- post-hook removes it (through the period_start index: a sequential scan of 2.5M entries
-- otherwise).
with

entries as (
    select * from {{ ref('fct_time_entries') }}
    where {{ changed_records(money_at='logged_at') }}
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
        then round(entries.hours * coalesce(tariff.client_rate, 0), 2) else 0 end as hourly_revenue_rub,
    entries._source_loaded_at
from entries
left join lateral (
    select st.engineer_cost, st.client_rate from {{ ref('dim_service_tariffs') }} as st
    where st.work_type = entries.work_type and st.valid_from <= entries.logged_at
    order by st.valid_from desc
    limit 1
) as tariff on true
{%- if is_incremental() %}
union all
select
    gone.time_entry_id, null, null, null, null, null, null, null, null, null, null, null, null, null, null,
    gone._source_loaded_at
from {{ ref('int_time_entries_enriched') }} as gone
where gone.is_deleted and {{ changed_records('gone._source_loaded_at') }}
{%- endif %}
