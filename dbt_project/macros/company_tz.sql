{#- The company time zone: var `company_tz`, else env COMPANY_TZ (set by whoever runs dbt: warehouse.dbt_env). -#}
{% macro company_tz() -%}
    {{- var('company_tz', none) or env_var('COMPANY_TZ') -}}
{%- endmacro %}

{#- A naive company-local timestamp (1C) -> timestamptz. -#}
{% macro local_to_tz(expr) -%}
    (({{ expr }})::timestamp at time zone '{{ company_tz() }}')
{%- endmacro %}

{#- The row of an effective-dated register (valid_from/valid_to) in force at `ts`. -#}
{% macro in_force(alias, ts) -%}
    ({{ alias }}.valid_from <= {{ ts }} and ({{ alias }}.valid_to is null or {{ ts }} < {{ alias }}.valid_to))
{%- endmacro %}



{#- A timestamptz as the company's wall-clock time (timestamp without time zone): what the
    screens show. Superset draws a naive timestamp as it is; a timestamptz it would draw in UTC. -#}
{% macro to_company_local(ts) -%}
    (({{ ts }}) at time zone '{{ company_tz() }}')
{%- endmacro %}
