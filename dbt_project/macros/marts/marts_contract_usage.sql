{#- Incremental months of mart_contract_usage (see the model's header). -#}

{#- The newest month with contract data: open contracts run up to it (int_contracts__periods). -#}
{% macro contract_usage_last_month() -%}
    (select greatest(
        (select max(period_start) from {{ ref('int_contracts__time_entries') }}),
        (select max({{ marts_period('doc_date') }}) from {{ ref('fct_sales') }})))
{%- endmacro %}
