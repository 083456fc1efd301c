{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='period_start',
        on_schema_change='append_new_columns',
        post_hook=["delete from {{ this }} where row_id is null", "{{ record_incremental_run() }}"],
        indexes=[{'columns': ['period_start']}, {'columns': ['contract_ref', 'period_start'], 'unique': True}],
    )
}}
-- depends_on: {{ ref('int_time_entries_enriched') }}
-- depends_on: {{ ref('dim_service_tariffs') }}
-- reads {{ source('raw_meta', 'loads') }}
-- Hours used against hours included, per contract and calendar month (docs/rules.md
-- "Contracts and profitability"). used_hours = the contract's time entries except
-- hourly_work (billed by the hour, outside the included hours; shown as hourly_work_hours).
-- Included hours are per calendar month, never prorated. Traffic light: blue when
-- usage_ratio <= 1.00, yellow when <= 1.20, red above; no included hours -> blue, not rated.
--
-- Incremental by month (delete+insert on period_start; the full rebuild summed all
-- 2.5M time entries of `large` twice every night, 2-4 s). A nightly run recomputes the months
-- (the query below):
--   - of the contract time entries loaded since its last build (int_contracts__time_entries,
--     index on _source_loaded_at) and of the entries deleted since (int_time_entries_enriched);
--     an entry's logged_at is its month and does not move (corrections change hours);
--   - whose invoiced sales per contract differ from the stored ones (all sales are summed and
--     compared: 22k documents on `large`);
--   - between the previous (the newest stored) and the new last month with data (open
--     contracts run up to it);
--   - all of them when a contract, client or service tariff was loaded since the cutoff.
-- The months' hours are then summed through the period_start index. A recomputed month left
-- without any row comes as one row without row_id, removed by the post-hook.
{#- The months to recompute, as 'YYYY-MM-DD' strings; none = every month (full build, no
    recorded run, or a contract, client (1C, help-desk company, registry site) or service
    tariff loaded since the cutoff: a load that wrote a new version). -#}
{%- set months = none %}
{%- if execute and is_incremental() %}
    {%- set q -%}
            with wm as (
                -- the last month of the previous build: its newest stored month
                select (select max(period_start) from {{ this }}) as old_last
            ),
            sales as (
                select contract_ref, {{ marts_period('doc_date') }} as period_start, sum(amount) as invoiced_revenue_rub
                from {{ ref('fct_sales') }}
                where posted and not coalesce(deletion_mark, false) and contract_ref is not null
                group by 1, 2
            ),
            stored_sales as (
                select contract_ref, period_start, invoiced_revenue_rub from {{ this }}
                where invoiced_revenue_rub <> 0
            ),
            bounds as (
                select wm.old_last, {{ contract_usage_last_month() }} as new_last from wm
            )
            select 'all' from wm
            where wm.old_last is null or {{ cutoff_literal() }} = '-infinity' or exists (
                select from {{ source('raw_meta', 'loads') }}
                where started_at >= {{ cutoff_literal() }} and rows_inserted + rows_vanished > 0
                  and (source, entity) in (('onec', 'contracts'), ('onec', 'clients'), ('onec', 'service_tariffs'),
                                           -- a client's name may come from the help desk or the registry
                                           ('helpdesk', 'companies'), ('registry', 'sites')))
            union
            select period_start::text from {{ ref('int_contracts__time_entries') }}
            where period_start is not null and {{ changed_records() }}
            union
            select {{ marts_period('gone.logged_at') }}::text from {{ ref('int_time_entries_enriched') }} as gone
            where gone.is_deleted and gone.logged_at is not null and {{ changed_records('gone._source_loaded_at') }}
            union
            select coalesce(s.period_start, st.period_start)::text
            from sales as s
            full join stored_sales as st on st.contract_ref = s.contract_ref and st.period_start = s.period_start
            where s.invoiced_revenue_rub is distinct from st.invoiced_revenue_rub
            union
            select p::date::text
            from bounds, generate_series(least(old_last, new_last), greatest(old_last, new_last), interval '1 month') as p
            where old_last is distinct from new_last and old_last is not null and new_last is not null
    {%- endset -%}
    {%- set found = run_query(q).columns[0].values() | list -%}
    {%- if 'all' not in found %}
        {%- set months = found | sort %}
        {%- do log('mart_contract_usage months: ' ~ months, info=false) -%}
    {%- endif %}
{%- endif %}
{%- if months is none %}{% set month_filter = 'true' %}
{%- elif months | length == 0 %}{% set month_filter = 'false' %}
{%- else %}{% set month_filter = "period_start in ('" ~ months | join("'::date, '") ~ "'::date)" %}
{%- endif %}
with

periods as (
    select * from {{ ref('int_contracts__periods') }}
    where {{ month_filter }}
),

contracts as (
    select * from {{ ref('dim_contracts') }}
),

clients as (
    select client_inn, name from {{ ref('dim_clients') }}
),

hours as (
    select
        contract_ref,
        period_start,
        coalesce(sum(hours) filter (where counts_against_included), 0) as used_hours,
        coalesce(sum(hours) filter (where not counts_against_included), 0) as hourly_work_hours,
        coalesce(sum(hourly_revenue_rub), 0) as hourly_revenue_rub,
        count(*) as time_entries
    from {{ ref('int_contracts__time_entries') }}
    where contract_ref is not null and {{ month_filter }}
    group by 1, 2
),

sales as (
    select
        contract_ref,
        {{ marts_period('doc_date') }} as period_start,
        sum(amount) as invoiced_revenue_rub
    from {{ ref('fct_sales') }}
    where posted and not coalesce(deletion_mark, false) and contract_ref is not null
        {%- if months is not none %}
        and {{ marts_period('doc_date') }} in ({% for m in months %}'{{ m }}'::date, {% endfor %}null)
        {%- endif %}
    group by 1, 2
),

joined as (
    select
        periods.contract_ref,
        contracts.client_inn,
        clients.name as client_name,
        contracts.name as contract_name,
        contracts.sla_level,
        periods.period_start,
        coalesce(contracts.included_hours, 0) as included_hours,
        coalesce(hours.used_hours, 0) as used_hours,
        coalesce(hours.hourly_work_hours, 0) as hourly_work_hours,
        coalesce(hours.hourly_revenue_rub, 0) as hourly_revenue_rub,
        coalesce(hours.time_entries, 0) as time_entries,
        coalesce(contracts.monthly_fee, 0) as monthly_fee_rub,
        coalesce(contracts.overage_rate, 0) as overage_rate_rub,
        coalesce(sales.invoiced_revenue_rub, 0) as invoiced_revenue_rub
    from periods
    join contracts on contracts.contract_ref = periods.contract_ref
    left join clients on clients.client_inn = contracts.client_inn
    left join hours on hours.contract_ref = periods.contract_ref and hours.period_start = periods.period_start
    left join sales on sales.contract_ref = periods.contract_ref and sales.period_start = periods.period_start
),

rated as (
    select
        joined.*,
        case when included_hours > 0 then round(used_hours / included_hours, 4) end as usage_ratio,
        case when included_hours > 0 then greatest(used_hours - included_hours, 0) else 0 end as overage_hours
    from joined
)

select
    {{ surrogate_key(['contract_ref', 'period_start']) }} as row_id,
    contract_ref,
    client_inn,
    client_name,
    contract_name,
    sla_level,
    period_start,
    included_hours::numeric(12, 2) as included_hours,
    used_hours::numeric(12, 2) as used_hours,
    hourly_work_hours::numeric(12, 2) as hourly_work_hours,
    time_entries,
    usage_ratio::numeric(10, 4) as usage_ratio,
    case
        when included_hours <= 0 then 'blue'
        when used_hours <= included_hours then 'blue'
        when used_hours <= 1.20 * included_hours then 'yellow'
        else 'red'
    end as traffic_light,
    included_hours > 0 as is_ratio_rated,
    overage_hours::numeric(12, 2) as overage_hours,
    overage_rate_rub::numeric(14, 2) as overage_rate_rub,
    round(overage_hours * overage_rate_rub, 2)::numeric(14, 2) as overage_revenue_rub,
    monthly_fee_rub::numeric(14, 2) as monthly_fee_rub,
    hourly_revenue_rub::numeric(14, 2) as hourly_revenue_rub,
    round(monthly_fee_rub + overage_hours * overage_rate_rub, 2)::numeric(14, 2) as expected_revenue_rub,
    invoiced_revenue_rub::numeric(14, 2) as invoiced_revenue_rub
from rated
{%- if months %}
union all
-- markers: every recomputed month (delete+insert clears it; the post-hook drops the markers)
select null, null, null, null, null, null, m::date, null, null, null, null, null, null, null, null, null, null, null, null, null, null
from unnest(array['{{ months | join("', '") }}']) as m
{%- endif %}
