{#- Fails on every row where the expression is not true (dbt_utils' test, written here
    because the package hub is out of reach). -#}
{% test expression_is_true(model, expression, column_name=none) %}
select *
from {{ model }}
where not coalesce(({{ expression }}), true)
{% endtest %}

{#- Fails on every duplicate of the combination of columns (dbt_utils'
    unique_combination_of_columns). A unique index does not replace it when a column may be
    null: the index treats nulls as distinct, `group by` does not. -#}
{% test unique_combination(model, combination) %}
select {{ combination | join(', ') }}, count(*) as n
from {{ model }}
group by {{ combination | join(', ') }}
having count(*) > 1
{% endtest %}
