{#- Join condition: the coefficient set `alias` in force at `moment`. -#}
{% macro marts_in_force(alias, moment) -%}
    {{ alias }}.valid_from <= {{ moment }} and ({{ alias }}.valid_to is null or {{ moment }} < {{ alias }}.valid_to)
{%- endmacro %}
