{#- Fails on every row where the expression is not true (dbt_utils' test, written here
    because the package hub is out of reach). -#}
{% test expression_is_true(model, expression, column_name=none, where_clause=none) %}
select *
from {{ model }}
where not coalesce(({{ expression }}), true)
{%- if where_clause %} and ({{ where_clause }}){% endif %}
{% endtest %}

{#- Fails on every duplicate of the combination of columns. Nightly (`data_tests: changed`) on
    a model with `meta.changed_rows_column`: only the combinations of the changed rows, checked
    against the whole table (macros/data_test_scope.sql; a combination with a null is then
    left to the full runs). Reads nothing when a unique index on exactly these columns, none
    of them nullable, makes duplicates impossible (macros/data_test_constraints.sql). -#}
{% test unique_combination(model, combination) %}
{%- set cols = combination | join(', ') -%}
{%- set changed = changed_rows_predicate() -%}
{%- set guard = _no_unique_index_on(combination, nulls_too=true) %}
select {{ cols }}, count(*) as n
from {{ model }}
where true
{%- if changed %}
  and ({{ cols }}) in (select {{ cols }} from {{ model }} where {{ changed }})
{%- endif %}
{%- if guard %}
  and {{ guard }}
{%- endif %}
group by {{ cols }}
having count(*) > 1
{% endtest %}
