{#- 1C's empty reference and empty date mean "none". -#}
{% macro onec_ref(expr) -%}
    nullif(nullif(trim({{ expr }}), ''), '00000000-0000-0000-0000-000000000000')
{%- endmacro %}

{% macro onec_date(expr) -%}
    (case
        when nullif(trim({{ expr }}), '') is null then null
        when left(trim({{ expr }}), 10) = '0001-01-01' then null
        else left(trim({{ expr }}), 10)::date
    end)
{%- endmacro %}

{#- A naive company-local 1C timestamp text -> timestamptz (empty date -> null). -#}
{% macro onec_ts(expr) -%}
    (case
        when nullif(trim({{ expr }}), '') is null then null
        when left(trim({{ expr }}), 10) = '0001-01-01' then null
        else {{ local_to_tz('trim(' ~ expr ~ ')') }}
    end)
{%- endmacro %}
