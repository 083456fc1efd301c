{#-
  Data tests kept by PostgreSQL itself (issue 9: the nightly build of `large` spent ~12 s of
  its ~40 s of data tests re-reading the 1.6M bonus lines with not_null, accepted_values and
  unique_combination tests, after a night that rewrote a few thousand of them).

  A model opts in with `meta: {data_test_constraints: true}` and the post-hook
  `{{ data_test_constraints() }}`. After each build the hook turns the model's generic tests
  into constraints, once (nothing is done when they are there already):
  - not_null (severity error, no `where`): `alter column ... set not null`;
  - accepted_values (quoted values, no `where`): a CHECK constraint named
    `accepted_<column>_<hash of the values>` (a new value list makes a new constraint; the
    old one is dropped);
  then every later write that breaks the rule fails with PostgreSQL's own error, inside the
  build's transaction: the table keeps its previous rows (nothing half-written). The first
  time (a full build) PostgreSQL validates the constraint over the whole table: the same read
  the test used to make.

  The tests stay, and read nothing when the constraint holds (a one-time filter on the
  catalogue, evaluated when the test runs: a table that loses its constraint is read again):
  not_null and accepted_values below, unique_combination (macros/generic_tests) when a valid
  unique index covers exactly its columns and none of them can be null (an index treats
  nulls as distinct; the test's `group by` does not), as `unique` does with a unique index
  (macros/data_test_scope.sql).

  Not for models whose batches carry marker rows with nulls that a post-hook deletes (several
  incremental models do): their inserts would be refused.
-#}
{% macro data_test_constraints() -%}
    {%- if not execute or not config.get('meta', {}).get('data_test_constraints') -%}{{ return('') }}{%- endif -%}
    {%- set not_null = [] -%}
    {%- set checks = {} -%}
    {%- for n in graph.nodes.values()
          if n.resource_type == 'test' and n.attached_node == model.unique_id
             and n.config.enabled and not n.config.where and (n.config.severity | lower) == 'error' -%}
        {%- set kind = (n.test_metadata or {}).get('name') -%}
        {%- set kwargs = (n.test_metadata or {}).get('kwargs', {}) -%}
        {%- if kind == 'not_null' -%}
            {%- do not_null.append(n.column_name | replace('"', '')) -%}
        {%- elif kind == 'accepted_values' and kwargs.get('quote', true) -%}
            {%- set column = n.column_name | replace('"', '') -%}
            {%- do checks.update({accepted_values_constraint_name(column, kwargs['values']): (column, kwargs['values'])}) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set existing = run_query(
        "select a.attname::text, a.attnotnull from pg_catalog.pg_attribute as a
         where a.attrelid = to_regclass('" ~ this.schema ~ "." ~ this.identifier ~ "') and a.attnum > 0 and not a.attisdropped"
    ) -%}
    {%- set nullable = [] -%}
    {%- for r in existing.rows if not r[1] %}{% do nullable.append(r[0]) %}{% endfor -%}
    {%- set present = run_query(
        "select conname::text from pg_catalog.pg_constraint
         where conrelid = to_regclass('" ~ this.schema ~ "." ~ this.identifier ~ "') and contype = 'c'
           and conname like 'accepted\\_%' and convalidated"
    ).columns[0].values() -%}
    {%- set actions = [] -%}
    {%- for c in not_null | unique if c in nullable -%}
        {%- do actions.append('alter column ' ~ adapter.quote(c) ~ ' set not null') -%}
    {%- endfor -%}
    {%- for name in present if name not in checks -%}
        {%- do actions.append('drop constraint ' ~ adapter.quote(name)) -%}
    {%- endfor -%}
    {%- for name, cv in checks.items() if name not in present -%}
        {%- set values = [] -%}
        {%- for v in cv[1] %}{% do values.append("'" ~ (v | string | replace("'", "''")) ~ "'") %}{% endfor -%}
        {%- do actions.append('add constraint ' ~ adapter.quote(name) ~ ' check (' ~ adapter.quote(cv[0])
                              ~ '::text in (' ~ values | join(', ') ~ '))') -%}
    {%- endfor -%}
    {%- if actions -%}
        {{ return('alter table ' ~ this ~ ' ' ~ actions | join(', ')) }}
    {%- else -%}
        {{ return('select 1 /* data test constraints: all in place */') }}
    {%- endif -%}
{%- endmacro %}

{#- `accepted_<column>_<md5 of the values, 8 hex>`, at most 63 characters -#}
{% macro accepted_values_constraint_name(column, values) -%}
    {%- set digest = local_md5(values | map('string') | join('\x1f')) -%}
    {{ return(('accepted_' ~ column)[:54] ~ '_' ~ digest[:8]) }}
{%- endmacro %}

{#- One-time filter: true unless `column` of the tested table is NOT NULL. -#}
{% macro _nullable(column) -%}
    {%- set table = _tested_table() -%}
    {%- if not table -%}{{ return('') }}{%- endif -%}
    {{ return("not exists (select from pg_catalog.pg_attribute where attrelid = to_regclass('" ~ table
              ~ "') and attname = '" ~ (column | replace('"', '')) ~ "' and attnotnull)") }}
{%- endmacro %}

{% macro default__test_not_null(model, column_name) %}
{%- set column_list = '*' if should_store_failures() else column_name -%}
{%- set guard = _nullable(column_name) %}
select {{ column_list }}
from {{ model }}
where {{ column_name }} is null
{%- if guard %}
  and {{ guard }}
{%- endif %}
{% endmacro %}

{% macro default__test_accepted_values(model, column_name, values, quote=True) %}
{%- set table = _tested_table() if quote else none -%}
with all_values as (
    select {{ column_name }} as value_field, count(*) as n_records
    from {{ model }}
    {%- if table %}
    -- read nothing when the table has this test's CHECK constraint (data_test_constraints)
    where not exists (
        select from pg_catalog.pg_constraint
        where conrelid = to_regclass('{{ table }}') and contype = 'c' and convalidated
          and conname = '{{ accepted_values_constraint_name(column_name | replace('"', ''), values) }}')
    {%- endif %}
    group by {{ column_name }}
)
select *
from all_values
where value_field not in (
    {% for value in values -%}
        {% if quote -%}'{{ value }}'{%- else -%}{{ value }}{%- endif -%}
        {%- if not loop.last -%},{%- endif %}
    {%- endfor %}
)
{% endmacro %}
