{{
    config(
        materialized='incremental', meta={'changed_rows_column': '_source_loaded_at'},
        unique_key='time_entry_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        post_hook="{{ record_incremental_run() }}",
        indexes=[{'columns': ['time_entry_id'], 'unique': True}, {'columns': ['_source_loaded_at']},
                 {'columns': ['ticket_id']}, {'columns': ['logged_at']}],
    )
}}
-- depends_on: {{ ref('stg_onec__bonus_coefficients') }}
-- depends_on: {{ ref('stg_onec__points_prices') }}
-- depends_on: {{ ref('stg_onec__duty_tariffs') }}
-- A table, not a view: facts, events and data-quality marts read it several times.
-- Incremental (docs/incremental.md): a run rebuilds the entries loaded since the cutoff, of
-- a ticket whose row moved since it, of an engineer whose match moved, of a client whose
-- contracts or card moved (the new INN, and the INN the entries had), and (money) those
-- logged on or after the Period of a 1C register row loaded since the cutoff.
-- Time entries with the engineer (help-desk employee matched to a personnel number), the
-- ticket's work type and client, the client's contract in force on the entry's local date
-- (latest start date wins), and money: cost = hours x engineer hour cost of the work type,
-- revenue (hourly_work only) = hours x client hourly rate, both tariffs at logged_at.
{%- if is_incremental() %}
{%- set cutoff = cutoff_literal() %}
{%- set rates_from = rates_changed_from() %}
{%- set stg_entries = ref('stg_helpdesk__time_entries') %}
{%- set changed_contracts -%}
    select c.contract_ref, cl.inn
    from {{ ref('stg_onec__contracts') }} as c
    left join {{ ref('stg_onec__clients') }} as cl on cl.client_ref = c.client_ref
    where c._last_loaded_at >= {{ cutoff }} or cl._last_loaded_at >= {{ cutoff }}
{%- endset %}
{%- endif %}
with

entries as (
    select * from {{ ref('stg_helpdesk__time_entries') }}
    {%- if is_incremental() %}
    -- = any(array(...)): the changed ids are read first and looked up by index; as `in (...)`
    -- the planner took them for millions and joined every entry with every ticket (8 s on large)
    where time_entry_id = any(array(
        select time_entry_id from {{ stg_entries }} where _last_loaded_at >= {{ cutoff }}
        union
        select time_entry_id from {{ stg_entries }} where ticket_id in (
            select ticket_id from {{ ref('int_tickets_enriched') }} where _source_loaded_at >= {{ cutoff }})
        union
        select time_entry_id from {{ stg_entries }} where employee_id in (
            select employee_id from {{ ref('int_helpdesk_employees_matched') }} where _loaded_at >= {{ cutoff }})
        union
        select time_entry_id from {{ stg_entries }} where ticket_id in (
            select ticket_id from {{ ref('int_tickets_enriched') }} where client_inn in (
                select inn from ({{ changed_contracts }}) as cc where inn is not null
                union
                select client_inn from {{ this }}
                where contract_ref in (select contract_ref from ({{ changed_contracts }}) as cc)))
        {%- if rates_from %}
        union
        select time_entry_id from {{ this }} where logged_at >= {{ rates_from }}
        {%- endif %}
    ))
    {%- endif %}
),

tickets as (
    select ticket_id, work_type, client_inn, site_code, equipment_serials, _source_loaded_at
    from {{ ref('int_tickets_enriched') }}
),

contracts as materialized (
    select c.*, cl.inn as client_inn
    from {{ ref('stg_onec__contracts') }} as c
    join {{ ref('stg_onec__clients') }} as cl on cl.client_ref = c.client_ref
    where not c.is_deleted
),

contract_loads as (
    -- the newest load of the client's contracts (deleted ones too) and client cards: a new,
    -- changed or deleted contract moves the entries of the client
    select cl.inn as client_inn, max(greatest(c._last_loaded_at, cl._last_loaded_at)) as _loaded_at
    from {{ ref('stg_onec__contracts') }} as c
    join {{ ref('stg_onec__clients') }} as cl on cl.client_ref = c.client_ref
    where cl.inn is not null
    group by cl.inn
),

joined as (
    select
        e.time_entry_id,
        e.ticket_id,
        e.employee_id,
        em.personnel_no,
        e.logged_at,
        (e.logged_at at time zone '{{ company_tz() }}')::date as logged_on,
        e.hours,
        e.activity,
        e.comment,
        e.vanished_at is not null as is_deleted,
        t.work_type,
        t.client_inn,
        t.site_code,
        t.equipment_serials,
        greatest(e._last_loaded_at, t._source_loaded_at, em._loaded_at, ctl._loaded_at) as _source_loaded_at
    from entries as e
    left join tickets as t on t.ticket_id = e.ticket_id
    left join contract_loads as ctl on ctl.client_inn = t.client_inn
    left join {{ ref('int_helpdesk_employees_matched') }} as em on em.employee_id = e.employee_id
),

-- the contract in force on the entry's local date, once per (client, day) and by hash join:
-- a correlated subquery per entry scanned every contract for each of the 2.5M entries of the
-- large world (minutes); there are far fewer client-days than entries
entry_days as (
    select distinct client_inn, logged_on from joined where client_inn is not null
),

day_contracts as (
    select distinct on (d.client_inn, d.logged_on) d.client_inn, d.logged_on, c.contract_ref
    from entry_days as d
    join contracts as c
      on c.client_inn = d.client_inn
     and c.start_date <= d.logged_on
     and (c.end_date is null or d.logged_on <= c.end_date)
    order by d.client_inn, d.logged_on, c.start_date desc, c.contract_ref
)

select
    j.*,
    dc.contract_ref,
    st.engineer_cost as engineer_hour_cost,
    st.client_rate as client_hour_rate,
    round(j.hours * st.engineer_cost, 2) as cost_rub,
    case when j.activity = 'hourly_work' then round(j.hours * st.client_rate, 2) end as revenue_rub
from joined as j
left join day_contracts as dc on dc.client_inn = j.client_inn and dc.logged_on = j.logged_on
left join {{ ref('stg_onec__service_tariffs') }} as st
    on st.work_type = j.work_type and {{ in_force('st', 'j.logged_at') }}
