{#- 1C's empty reference and empty date mean "none". -#}
{% macro onec_ref(expr) -%}
    nullif(nullif(trim({{ expr }}), ''), '00000000-0000-0000-0000-000000000000')
{%- endmacro %}

