{#-
  Nightly data tests on the big incremental tables test the rows that changed, not the whole
  history again (issue 9: at the `large` profile the full-table scans of ~200 data tests cost
  more than the incremental models themselves).

  A model opts in with `meta: {changed_rows_column: <timestamp column>}` (the newest raw load
  its row was built from: `_source_loaded_at` / `_last_loaded_at`). When dbt runs with
  DBT_ENV_CUSTOM_ENV_DATA_TESTS=changed (the nightly job and the bench's nightly run set it;
  `--vars '{data_tests: changed}'` does the same: data_tests_scope() below), the
  row-level tests of such a model — not_null, accepted_values, expression_is_true and the child
  side of relationships — read only the rows this invocation could have rebuilt: that column at
  or after the model's cutoff, i.e. the start of its previous build (dbt_state.incremental_runs
  as it was when this invocation started, kept in dbt_state.runs_at_start), or earlier when a
  load was still committing then (the same rule as the incremental models' cutoff). Other rows
  were tested when they were built and have not changed since. A model never built before is
  tested whole. `unique` and `unique_combination` compare rows with each other: at night they
  check the keys of the changed rows against the whole table (and `unique` does not read a
  table whose key has a unique index: below). Other tests comparing rows (totals) and every
  test of the other models always read everything. In `all` scope (`make run`, the
  full_pipeline job, CI) every test reads every row.

  dbt calls get_where_subquery(relation) for every generic test; this keeps its `where` config.
-#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- set scoped = _changed_rows_filter() -%}
    {%- set clauses = [] -%}
    {%- if where %}{% do clauses.append('(' ~ where ~ ')') %}{% endif -%}
    {%- if scoped %}{% do clauses.append(scoped) %}{% endif -%}
    {%- if clauses -%}
        {%- do return('(select * from ' ~ relation ~ ' where ' ~ clauses | join(' and ') ~ ') dbt_subquery') -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}

{% macro _changed_rows_filter() -%}
    {%- set kind = (model.test_metadata or {}).get('name') -%}
    {%- if kind not in ['not_null', 'accepted_values', 'expression_is_true', 'relationships'] -%}
        {{ return('') }}
    {%- endif -%}
    {{ return(changed_rows_predicate()) }}
{%- endmacro %}

{#- the model a generic test is attached to (`model` = the test node), or none -#}
{% macro _tested_node() -%}
    {{ return(graph.nodes.get(model.attached_node) if model.attached_node else none) }}
{%- endmacro %}

{#- `schema.name` of the tested model when it is a table (or incremental), else none -#}
{% macro _tested_table() -%}
    {%- set parent = _tested_node() -%}
    {%- if not parent or parent.config.materialized not in ('table', 'incremental') -%}{{ return(none) }}{%- endif -%}
    {{ return(parent.schema ~ '.' ~ (parent.alias or parent.name)) }}
{%- endmacro %}

{#-
  The predicate "this row may have changed since the tested model's previous build", for the
  test being rendered: '' when the scope is not `changed` or the model has no
  `meta.changed_rows_column`. The previous build of a table is its record in runs_at_start;
  a view's is the earliest of the tables it reads (a view is rebuilt by nothing: its rows move
  with theirs). The cutoff is inlined as a literal when the test runs (the planner then uses
  the index on the column; a subquery bound is estimated at a third of the table and gets a
  sequential scan); it stays a subquery when dbt renders without running (parse, compile).
-#}
{#-
  The scope of this invocation's data tests: `changed` or `all` (the default). Read from the
  environment variable DBT_ENV_CUSTOM_ENV_DATA_TESTS (dbt's "custom metadata" prefix: dbt
  hands it to Jinja as dbt_metadata_envs and records it in run_results.json's metadata), or
  from `--vars '{data_tests: ...}'` (wins when given). The nightly job sets the environment
  variable, not the var: a var that differs from the previous invocation's makes dbt re-parse
  the whole project (~9 s on this project: nightly and full runs alternate, and Dagster copies
  in the manifest `dbt parse` wrote without vars), an env var read by env_var() re-parses
  every node using the macro (~7 s); a metadata variable is read when the SQL is rendered and
  does not invalidate the partial parse at all.
-#}
{% macro data_tests_scope() -%}
    {{ return(var('data_tests', none) or dbt_metadata_envs.get('DATA_TESTS') or 'all') }}
{%- endmacro %}

{% macro changed_rows_predicate() -%}
    {%- if data_tests_scope() != 'changed' -%}{{ return('') }}{%- endif -%}
    {%- set parent = _tested_node() -%}
    {%- set column = parent.config.meta.get('changed_rows_column') if parent else none -%}
    {%- if not column -%}{{ return('') }}{%- endif -%}
    {%- if parent.config.materialized in ('view', 'ephemeral') -%}
        {%- set tables = _upstream_tables(parent.depends_on.nodes) | unique | list -%}
        {%- if not tables -%}{{ return('') }}{%- endif -%}
        {%- set previous -%}
            (select case when count(*) = {{ tables | length }} then min(processed_at) end
             from dbt_state.runs_at_start where model in ('{{ tables | join("', '") }}'))
        {%- endset -%}
    {%- else -%}
        {%- set previous -%}
            (select processed_at from dbt_state.runs_at_start where model = '{{ parent.schema }}.{{ parent.alias or parent.name }}')
        {%- endset -%}
    {%- endif -%}
    {%- set cutoff -%}
        coalesce(least({{ previous }}, (select min(u.started_at) from ({{ _loads_unseen_at(previous) }}) as u)),
                 '-infinity'::timestamptz)
    {%- endset -%}
    {%- if execute and flags.WHICH in ('test', 'build') -%}
        {%- set value = run_query('select (' ~ cutoff ~ ')::text').columns[0].values()[0] -%}
        {%- set cutoff = "'" ~ value ~ "'::timestamptz" -%}
    {%- endif -%}
    {{ return(adapter.quote(column) ~ " >= " ~ cutoff) }}
{%- endmacro %}

{#-
  True unless the tested table has a valid unique index on exactly `columns` (no
  expression, no predicate) - with `nulls_too`, one whose columns are all NOT NULL - i.e.
  duplicates are possible. Used as a one-time
  filter: with such an index PostgreSQL does not read the table at all.
-#}
{% macro _no_unique_index_on(columns, nulls_too=false) -%}
    {%- set table = _tested_table() -%}
    {%- if not table -%}{{ return('') }}{%- endif -%}
    {%- set names = [] -%}
    {%- for c in columns -%}{% do names.append(c | trim | replace('"', '')) %}{%- endfor -%}
    {%- set q -%}
    not exists (
        select from pg_catalog.pg_index as i
        where i.indrelid = to_regclass('{{ table }}')
          and i.indisunique and i.indisvalid and i.indpred is null and i.indexprs is null
          and i.indnkeyatts = {{ names | length }}
          and (select array_agg(a.attname::text order by a.attname)
               from pg_catalog.pg_attribute as a
               where a.attrelid = i.indrelid and a.attnum = any (i.indkey[0:i.indnkeyatts - 1]))
              = array['{{ names | sort | join("', '") }}']::text[]
          {%- if nulls_too %}
          -- rows differing only by nulls pass a unique index: none of its columns may be null
          and not exists (
              select from pg_catalog.pg_attribute as a
              where a.attrelid = i.indrelid and a.attnum = any (i.indkey[0:i.indnkeyatts - 1])
                and not a.attnotnull)
          {%- endif %})
    {%- endset -%}
    {{ return(q) }}
{%- endmacro %}

{#-
  unique (dbt's generic test, dispatched as test_unique; this project's default__ wins over
  dbt's). On a table or incremental model, in every run: a valid unique index on exactly the
  column makes duplicates impossible (PostgreSQL refuses them at write time), so the test does
  not read the table (one-time filter, _no_unique_index_on; checked when the test runs, so a
  model that loses its index is tested in full again). That saves ~20 s of whole-table reads
  in a full build of `large`. In `changed` scope:
  - otherwise, on a model with `meta.changed_rows_column`, only the keys of the changed rows
    are checked, against the WHOLE table: a changed row duplicating an unchanged one fails;
    a duplicate of two unchanged rows was caught when they were built and is caught again by
    every full run. Cheap when the key is indexed (a few thousand index look-ups instead of
    hashing the whole table).
  In `all` scope: dbt's whole-table test.
-#}
{% macro default__test_unique(model, column_name) %}
{%- set changed = changed_rows_predicate() -%}
{%- set guard = _no_unique_index_on([column_name]) %}
select
    {{ column_name }} as unique_field,
    count(*) as n_records
from {{ model }}
where {{ column_name }} is not null
{%- if changed %}
  and {{ column_name }} in (select {{ column_name }} from {{ model }} where {{ changed }})
{%- endif %}
{%- if guard %}
  and {{ guard }}
{%- endif %}
group by {{ column_name }}
having count(*) > 1
{% endmacro %}

{#- on-run-start: the recorded runs as they were before this invocation rebuilt anything -#}
{% macro snapshot_runs_at_start() -%}
    create table if not exists dbt_state.runs_at_start (model text primary key, processed_at timestamptz not null);
    delete from dbt_state.runs_at_start;
    insert into dbt_state.runs_at_start select model, processed_at from dbt_state.incremental_runs
{%- endmacro %}
