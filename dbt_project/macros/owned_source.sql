{#-
  A source another part of the product writes (forecasts.* by the forecast assets, payroll.*
  by the approvals page), read by the bi views. Those tables appear when their owner first
  runs, which can be after a dbt build (a fresh warehouse, a test database): then the view is
  built over an empty relation with the columns and types the source declares, and the next
  build (the nightly) reads the real table. With the table present it is the plain source();
  in a unit test it is the test's fixture (no relation to look up).
-#}
{% macro owned_source(source_name, table_name) -%}
    {%- set relation = source(source_name, table_name) -%}
    {%- if execute and relation.database is not none and load_relation(relation) is none -%}
        {%- set node = graph.sources['source.' ~ project_name ~ '.' ~ source_name ~ '.' ~ table_name] -%}
        {%- do exceptions.warn('owned_source: ' ~ relation ~ ' does not exist yet; ' ~ this ~ ' reads no rows until it does') -%}
        (select
            {%- for column in node.columns.values() %}
            null::{{ column.data_type }} as {{ column.name }}{{ ',' if not loop.last }}
            {%- endfor %}
        where false)
    {%- else -%}
        {{ relation }}
    {%- endif -%}
{%- endmacro %}
