{#- Numbers in Russian explanations: decimal comma, typographic minus, no trailing zeros (1,25; 3; 0,5). -#}
{% macro marts_ru_num(expr) -%}
    replace(replace(trim_scale(({{ expr }})::numeric)::text, '.', ','), '-', '−')
{%- endmacro %}

{#- Money in Russian explanations: two decimals with a comma (703,50). -#}
{% macro marts_ru_money(expr) -%}
    replace(replace(round(({{ expr }})::numeric, 2)::text, '.', ','), '-', '−')
{%- endmacro %}
