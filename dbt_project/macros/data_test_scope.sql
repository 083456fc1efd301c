{#-
  Nightly data tests on the big incremental tables test the rows that changed, not the whole
  history again (issue 9: at the `large` profile the full-table scans of ~200 data tests cost
  more than the incremental models themselves).

  A model opts in with `meta: {changed_rows_column: <timestamp column>}` (the newest raw load
  its row was built from: `_source_loaded_at` / `_last_loaded_at`). When dbt runs with
  `--vars '{data_tests: changed}'` (the nightly job and the bench's nightly run do), the
  row-level tests of such a model — not_null, accepted_values, expression_is_true and the child
  side of relationships — read only the rows this invocation could have rebuilt: that column at
  or after the model's cutoff, i.e. the start of its previous build (dbt_state.incremental_runs
  as it was when this invocation started, kept in dbt_state.runs_at_start), or earlier when a
  load was still committing then (the same rule as the incremental models' cutoff). Other rows
  were tested when they were built and have not changed since. A model never built before is
  tested whole. Tests that
  compare rows with each other (unique, unique_combination, totals) and every test of the other
  models always read everything. Without the var (`make run`, the full_pipeline job, CI) every
  test reads every row.

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
    {%- if var('data_tests', 'all') != 'changed' -%}{{ return('') }}{%- endif -%}
    {%- set kind = (model.test_metadata or {}).get('name') -%}
    {%- if kind not in ['not_null', 'accepted_values', 'expression_is_true', 'relationships'] -%}
        {{ return('') }}
    {%- endif -%}
    {%- set parent = graph.nodes.get(model.attached_node) if model.attached_node else none -%}
    {%- set column = parent.config.meta.get('changed_rows_column') if parent else none -%}
    {%- if not column -%}{{ return('') }}{%- endif -%}
    {%- set previous -%}
        (select processed_at from dbt_state.runs_at_start where model = '{{ parent.schema }}.{{ parent.alias or parent.name }}')
    {%- endset -%}
    {%- set cutoff -%}
        coalesce(least({{ previous }}, (select min(u.started_at) from ({{ _loads_unseen_at(previous) }}) as u)),
                 '-infinity'::timestamptz)
    {%- endset -%}
    {{ return(adapter.quote(column) ~ " >= " ~ cutoff) }}
{%- endmacro %}

{#- on-run-start: the recorded runs as they were before this invocation rebuilt anything -#}
{% macro snapshot_runs_at_start() -%}
    create table if not exists dbt_state.runs_at_start (model text primary key, processed_at timestamptz not null);
    delete from dbt_state.runs_at_start;
    insert into dbt_state.runs_at_start select model, processed_at from dbt_state.incremental_runs
{%- endmacro %}
