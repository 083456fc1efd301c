{#-
  The one incremental mechanism of the project: docs/incremental.md.

  State: dbt_state.incremental_runs (model, processed_at), created by on-run-start
  (dbt_project.yml), one row per incremental model, written by its post-hook
  record_incremental_run(). The cutoff of a run is
      least(P, min(started_at) of the loads not finished before P)
  with P the model's recorded processed_at; '-infinity' (everything) without a recorded run
  or on a full build. A row is changed when its load time is at or after the cutoff.
  Bounds are computed once per run with run_query and inlined as literals: the planner then
  uses the load-time indexes (a subquery bound is estimated at a third of the table).
-#}

{#-
  Post-hook of every incremental model (and of the tables they read, so that a partial
  selection is seen): processed_at = the invocation start, or the processed_at of an
  upstream table last built before it. A table without planner statistics (just created by
  a full build) is analysed first: the models built right after it in the same run would
  otherwise be planned on default estimates (dq_grey_zones: 39 s instead of 3 s on demo).
  pg_stats, not last_analyze: it survives a server restart.
-#}
{% macro record_incremental_run() -%}
    do $analyze$ begin
        if not exists (select from pg_catalog.pg_stats
                       where schemaname = '{{ this.schema }}' and tablename = '{{ this.identifier }}') then
            execute 'analyze {{ this }}';
        end if;
    end $analyze$;
    {#- the tables (incremental or not) the model reads, through views and ephemerals: a
        worklist over the graph (each node is visited once) -#}
    {%- set walk = namespace(todo=model.depends_on.nodes | list, seen=[], tables=[]) %}
    {%- for _ in range(graph.nodes | length + 1) if walk.todo %}
        {%- set uid = walk.todo.pop() %}
        {%- if uid.startswith('model.') and uid in graph.nodes and uid not in walk.seen %}
            {%- do walk.seen.append(uid) %}
            {%- set n = graph.nodes[uid] %}
            {%- if n.config.materialized in ('incremental', 'table') %}
                {%- do walk.tables.append(n.schema ~ '.' ~ (n.alias or n.name)) %}
            {%- elif n.config.materialized in ('view', 'ephemeral') %}
                {%- do walk.todo.extend(n.depends_on.nodes) %}
            {%- endif %}
        {%- endif %}
    {%- endfor %}
    {%- set upstream = walk.tables | unique | sort | list %}
    insert into dbt_state.incremental_runs (model, processed_at)
    select '{{ this.schema }}.{{ this.identifier }}',
           least('{{ run_started_at.isoformat() }}'::timestamptz
               {%- if upstream %},
               (select min(processed_at) from dbt_state.incremental_runs
                where model in ('{{ upstream | join("', '") }}'))
               {%- endif %})
    on conflict (model) do update set processed_at = excluded.processed_at
{%- endmacro %}

{#-
  The cutoff of this model's run as a timestamptz literal ('-infinity' on a full build or
  without a recorded run). Inside a dbt unit test (`this` is a fixture CTE, nothing to
  query) it is the fixture's newest _source_loaded_at minus var('lookback_days'), the form
  the unit tests' fixtures express.
-#}
{% macro cutoff_literal() -%}
    {%- if not is_incremental() -%}
        {{- return("'-infinity'::timestamptz") -}}
    {%- elif this is none or '__dbt__cte__' in (this | string) -%}
        {{- return("((select coalesce(max(_source_loaded_at), '-infinity'::timestamptz) from " ~ this
                   ~ ") - interval '" ~ var('lookback_days', 3) ~ " days')") -}}
    {%- elif not execute -%}
        {{- return("'-infinity'::timestamptz") -}}
    {%- endif -%}
    {%- set previous -%}
        (select processed_at from dbt_state.incremental_runs where model = '{{ this.schema }}.{{ this.identifier }}')
    {%- endset -%}
    {%- set q -%}
        -- the loads the previous run could not see: not finished before it, unless a
        -- newer load of the same entity had already started (the older one is dead)
        select coalesce(least({{ previous }}, (
            select min(l.started_at)
            from raw_meta.loads as l
            where coalesce(l.finished_at, 'infinity'::timestamptz) >= {{ previous }}
              and not (l.finished_at is null and exists (
                  select 1 from raw_meta.loads as n
                  where n.source = l.source and n.entity = l.entity and n.load_id > l.load_id
                    and n.started_at < {{ previous }})))),
            '-infinity')::text
    {%- endset -%}
    {{- return("'" ~ run_query(q).columns[0].values()[0] ~ "'::timestamptz") -}}
{%- endmacro %}

{#-
  Money: the earliest 1C register Period (bonus coefficients, points prices, duty and
  service tariffs) among register rows loaded since the cutoff, as a literal; none when no
  register row moved (callers then leave their money clause out, which keeps the planner on
  the load-time index). A subquery inside unit tests.
-#}
{% macro rates_changed_from() -%}
    {%- if not is_incremental() -%}{{- return(none) -}}{%- endif -%}
    {%- set cutoff = cutoff_literal() -%}
    {%- set q -%}
        select min(valid_from) from (
            {%- for reg in ['stg_onec__bonus_coefficients', 'stg_onec__points_prices',
                            'stg_onec__duty_tariffs', 'stg_onec__service_tariffs'] %}
            select valid_from from {{ ref(reg) }} where _last_loaded_at >= {{ cutoff }}
            {% if not loop.last %}union all{% endif %}
            {%- endfor %}
        ) as changed_rates
    {%- endset -%}
    {%- if this is none or '__dbt__cte__' in (this | string) -%}
        {{- return('(' ~ q ~ ')') -}}
    {%- elif not execute -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set v = run_query(q).columns[0].values()[0] -%}
    {{- return(none if v is none else "'" ~ v ~ "'::timestamptz") -}}
{%- endmacro %}

{#- The changed-record predicate: `loaded_col` at or after the cutoff, or (money) `money_at`
    on or after a changed register Period; true on a full build. -#}
{% macro changed_records(loaded_col='_source_loaded_at', money_at=none) -%}
    {%- if is_incremental() -%}
    {%- set rates_from = rates_changed_from() if money_at else none -%}
    ({{ loaded_col }} >= {{ cutoff_literal() }}
        {%- if rates_from %} or {{ money_at }} >= {{ rates_from }}{% endif %})
    {%- else -%}
    true
    {%- endif -%}
{%- endmacro %}

{#-
  Incremental staging: the `where` for latest_version(): every version of the keys that have
  a raw row of a load started at or after the cutoff (the load ids as literals, read
  through the raw table's _load_id index before the window functions; Postgres does not push
  a key filter through them). None on a full build or without a recorded run: every key.
-#}
{% macro raw_changed_keys(relation, key_column) -%}
    {%- set cutoff = cutoff_literal() -%}
    {%- if not execute or cutoff == "'-infinity'::timestamptz" -%}{{- return(none) -}}{%- endif -%}
    {%- set ids = run_query("select load_id from raw_meta.loads where started_at >= " ~ cutoff).columns[0].values() -%}
    {{- return(key_column ~ " in (select " ~ key_column ~ " from " ~ relation ~ " where _load_id in ("
               ~ ((ids | map('int') | join(', ')) or 'null') ~ "))") -}}
{%- endmacro %}
