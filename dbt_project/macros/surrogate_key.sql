{#- md5 of the given expressions joined with '|' (null -> '_null_'); stable across runs. -#}
{% macro surrogate_key(fields) -%}
    md5(concat_ws('|'
    {%- for f in fields %}, coalesce(cast({{ f }} as text), '_null_'){% endfor -%}
    ))
{%- endmacro %}
