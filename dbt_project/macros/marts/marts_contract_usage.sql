{#- Incremental months of mart_contract_usage (see the model's header). -#}

{#- md5 of what every month of contract usage reads besides entries and sales: contracts,
    clients and service tariffs. When it moves, every month is recomputed. -#}
{% macro contract_usage_dims_signature() -%}
    (select md5(string_agg(part, '|' order by part)) from (
        select 'k' || md5(coalesce(string_agg(
            concat_ws('~', contract_ref, client_inn, name, sla_level, start_date, end_date, included_hours,
                      monthly_fee, overage_rate, is_deleted),
            '^' order by contract_ref), '')) as part
        from {{ ref('dim_contracts') }}
        union all
        select 'c' || md5(coalesce(string_agg(concat_ws('~', client_inn, name), '^' order by client_inn), ''))
        from {{ ref('dim_clients') }}
        union all
        {{ marts_service_tariffs_signature_part() }}
    ) as parts)
{%- endmacro %}

{#- The newest month with contract data: open contracts run up to it (int_contracts__periods). -#}
{% macro contract_usage_last_month() -%}
    (select greatest(
        (select max(period_start) from {{ ref('int_contracts__time_entries') }}),
        (select max({{ marts_period('doc_date') }}) from {{ ref('fct_sales') }})))
{%- endmacro %}

{#- The months to recompute, as a list of 'YYYY-MM-DD' strings; none = every month (full
    build, no watermark, or the signature moved). -#}
{% macro contract_usage_touched_months() -%}
    {%- if not (execute and is_incremental()) -%}{{ return(none) }}{%- endif -%}
    {%- set q -%}
        with wm as (
            select w.dims_signature, (w.as_of_at at time zone 'UTC')::date as old_last
            from (select 1) as one
            left join {{ marts_watermark_relation() }} as w on w.model = '{{ this.identifier }}'
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
        where wm.dims_signature is distinct from {{ contract_usage_dims_signature() }} or wm.old_last is null
        union
        select period_start::text from {{ ref('int_contracts__time_entries') }}
        where period_start is not null and {{ marts_loaded_since_last_build() }}
        union
        select {{ marts_period('gone.logged_at') }}::text from {{ ref('int_time_entries_enriched') }} as gone
        where gone.is_deleted and gone.logged_at is not null and {{ marts_loaded_since_last_build('gone._source_loaded_at') }}
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

{#- post-hook: what this build has seen (load watermark and the signature). -#}
{% macro contract_usage_watermark_save() -%}
    insert into {{ marts_watermark_relation() }} as w (model, loaded_at, as_of_at, dims_signature, saved_at)
    select
        '{{ this.identifier }}',
        greatest(
            (select max(_source_loaded_at) from {{ ref('int_contracts__time_entries') }}),
            (select max(_source_loaded_at) from {{ ref('int_time_entries_enriched') }})
        ),
        -- as_of_at: here the last month with data (its first day, midnight UTC)
        {{ contract_usage_last_month() }}::timestamp at time zone 'UTC',
        {{ contract_usage_dims_signature() }},
        now()
    on conflict (model) do update set
        loaded_at = excluded.loaded_at, as_of_at = excluded.as_of_at, dims_signature = excluded.dims_signature,
        saved_at = excluded.saved_at
{%- endmacro %}
