{#- Incremental months of mart_contract_usage (see the model's header). -#}

{#- The newest month with contract data: open contracts run up to it (int_contracts__periods). -#}
{% macro contract_usage_last_month() -%}
    (select greatest(
        (select max(period_start) from {{ ref('int_contracts__time_entries') }}),
        (select max({{ marts_period('doc_date') }}) from {{ ref('fct_sales') }})))
{%- endmacro %}

{#- The months to recompute, as a list of 'YYYY-MM-DD' strings; none = every month (full
    build, no recorded run, or a contract, client (1C, help-desk company, registry site) or
    service tariff loaded since the cutoff: a load that wrote a new version, see
    marts_touched). -#}
{% macro contract_usage_touched_months() -%}
    {%- if not (execute and is_incremental()) -%}{{ return(none) }}{%- endif -%}
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
    {%- if 'all' in found -%}{{ return(none) }}{%- endif -%}
    {%- do log('mart_contract_usage months: ' ~ (found | sort), info=false) -%}
    {{ return(found | sort) }}
{%- endmacro %}
