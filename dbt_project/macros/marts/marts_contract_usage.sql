{#- The state of mart_contract_usage's incremental months (see the model's header). -#}

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
