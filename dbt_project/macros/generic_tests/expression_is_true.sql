{#- Fails on every row where the expression is not true (dbt_utils' test, written here
    because the package hub is out of reach). -#}
{% test expression_is_true(model, expression, column_name=none, where_clause=none) %}
select *
from {{ model }}
where not coalesce(({{ expression }}), true)
{%- if where_clause %} and ({{ where_clause }}){% endif %}
{% endtest %}

{#- Fails on every duplicate of the combination of columns. -#}
{% test unique_combination(model, combination) %}
select {{ combination | join(', ') }}, count(*) as n
from {{ model }}
group by {{ combination | join(', ') }}
having count(*) > 1
{% endtest %}
