{#-
  Incremental models (docs/dbt.md "Incremental models").

  Which source rows a run must (re)process. Every raw row carries `_load_id` and `_loaded_at`
  (the start of the transaction that inserted it: never before its load's
  `raw_meta.loads.started_at`; a load's `finished_at` is written after its last commit).
  Each incremental model of this area records its runs (post-hook `record_incremental_run()`
  into `dbt_state.incremental_runs`, created by on-run-start): P = the start of the dbt
  invocation, or earlier when an upstream table of the model was last built before it
  (a partial selection). Every load that had finished before P was visible whole to that
  run and to the runs of the models it read. So the rows the previous run may not have seen
  are those of loads that finished at or after P or were still running (a `running` load
  superseded, before P, by a later load of the same entity was killed: the entity lock
  guarantees its rows were committed before the later one started). The cutoff is

      least(P, min(started_at) of those loads)

  and a record whose inputs were all loaded before the cutoff needs no work. No wall-clock
  window is involved: a nightly run after a day of loads reads that day only, and a load
  that was still committing during the previous run is re-read whole.

  Without a recorded run (the first incremental run after this change) the old rule
  applies: everything loaded within `lookback_days` of the newest `_source_loaded_at`.

  The bounds are computed once per run with run_query and inlined as literals, so the
  planner sees them (a subquery bound is estimated at a third of the table and gets a
  sequential scan). Inside dbt unit tests (`this` is a fixture CTE) the subquery forms are
  rendered instead.
-#}

{#- true while rendering a dbt unit test (this = a fixture CTE, nothing to query) -#}
{% macro _incremental_in_unit_test() -%}
    {{- return('__dbt__cte__' in (this | string) or this is none) -}}
{%- endmacro %}

{#- on-run-start (dbt_project.yml): the table of recorded runs -#}
{% macro ensure_incremental_state() -%}
    create schema if not exists dbt_state;
    create table if not exists dbt_state.incremental_runs (
        model text primary key,
        processed_at timestamptz not null
    );
{%- endmacro %}

{#- the tables (incremental or not) a node reads, through views -#}
{% macro _upstream_tables(node_ids) -%}
    {%- set out = [] -%}
    {%- for uid in node_ids if uid.startswith('model.') and uid in graph.nodes -%}
        {%- set n = graph.nodes[uid] -%}
        {%- if n.config.materialized in ('incremental', 'table') -%}
            {%- do out.append(n.schema ~ '.' ~ (n.alias or n.name)) -%}
        {%- elif n.config.materialized in ('view', 'ephemeral') -%}
            {%- do out.extend(_upstream_tables(n.depends_on.nodes)) -%}
        {%- endif -%}
    {%- endfor -%}
    {{- return(out) -}}
{%- endmacro %}

{#-
  ANALYZE a table that has never been analysed (just created: a full build). Without it the
  models built right after it in the same run are planned on default estimates (dq_grey_zones
  took 39 s instead of 3 s on the demo world); incremental runs leave it to autovacuum.
-#}
{#- ANALYZE a table that has no planner statistics yet (pg_stats survives a server restart;
    pg_stat_user_tables.last_analyze does not: after a restart every incremental table was
    analyzed again, ~8 s of the next `large` nightly) -#}
{% macro analyze_if_new() -%}
    do $analyze$ begin
        if not exists (select from pg_catalog.pg_stats
                       where schemaname = '{{ this.schema }}' and tablename = '{{ this.identifier }}') then
            execute 'analyze {{ this }}';
        end if;
    end $analyze$
{%- endmacro %}

{#-
  post-hook of the incremental models of this area and of the tables they read (full
  refresh and incremental): P = the invocation start, or the P of an upstream table that
  was last built before it. Also analyze_if_new().
-#}
{% macro record_incremental_run() -%}
    {{ analyze_if_new() }};
    {%- set upstream = _upstream_tables(model.depends_on.nodes) | unique | list -%}
    insert into dbt_state.incremental_runs (model, processed_at)
    select '{{ this.schema }}.{{ this.identifier }}',
           least('{{ run_started_at.isoformat() }}'::timestamptz
               {%- if upstream %},
               (select min(processed_at) from dbt_state.incremental_runs
                where model in ('{{ upstream | join("', '") }}'))
               {%- endif %})
    on conflict (model) do update set processed_at = excluded.processed_at
{%- endmacro %}

{#- the previous run's start P as a literal, or none -#}
{% macro _previous_run_at() -%}
    {%- set q -%}
        select processed_at::text from dbt_state.incremental_runs
        where model = '{{ this.schema }}.{{ this.identifier }}'
    {%- endset -%}
    {%- set rows = run_query(q).rows -%}
    {{- return("'" ~ rows[0][0] ~ "'::timestamptz" if rows | length > 0 else none) -}}
{%- endmacro %}

{#- the loads that may hold rows a run starting at P did not see (optionally of one entity) -#}
{% macro _loads_unseen_at(previous, source_name=none, entity=none) -%}
    select l.load_id, l.started_at
    from raw_meta.loads as l
    where coalesce(l.finished_at, 'infinity'::timestamptz) >= {{ previous }}
      and not (l.finished_at is null and exists (
          select 1 from raw_meta.loads as n
          where n.source = l.source and n.entity = l.entity and n.load_id > l.load_id
            and n.started_at < {{ previous }}))
      {%- if source_name %}
      and l.source = '{{ source_name }}' and l.entity = '{{ entity }}'
      {%- endif %}
{%- endmacro %}

{#-
  The cutoff timestamp of an incremental run, as a literal: rows whose newest input was
  loaded before it need no work. `fallback_column`: the column of this table the old
  lookback rule reads when no run was recorded.
-#}
{% macro cutoff_literal(fallback_column='_source_loaded_at') -%}
    {%- if execute and is_incremental() -%}
        {%- set previous = _previous_run_at() -%}
        {%- if previous -%}
            {%- set q -%}
                select least({{ previous }}, (select min(started_at) from ({{ _loads_unseen_at(previous) }}) as u))::text
            {%- endset -%}
        {%- else -%}
            {%- set q -%}
                select (coalesce(max({{ fallback_column }}), '-infinity'::timestamptz)
                        - interval '{{ var("lookback_days") }} days')::text
                from {{ this }}
            {%- endset -%}
        {%- endif -%}
        {{- return("'" ~ run_query(q).columns[0].values()[0] ~ "'::timestamptz") -}}
    {%- else -%}
        {{- return("'-infinity'::timestamptz") -}}
    {%- endif -%}
{%- endmacro %}

{#- The cutoff of the facts (changed_records): a literal, or the subquery form in unit tests. -#}
{% macro incremental_cutoff() -%}
    {%- if execute and is_incremental() and not _incremental_in_unit_test() -%}
    {{ cutoff_literal('_source_loaded_at') }}
    {%- else -%}
    ((select coalesce(max(_source_loaded_at), '-infinity'::timestamptz) from {{ this }})
        - interval '{{ var("lookback_days") }} days')
    {%- endif -%}
{%- endmacro %}

{#-
  The earliest 1C register Period (bonus coefficients, points prices, duty and service
  tariffs) among register rows loaded since `cutoff`: money from that moment on is redone.
-#}
{% macro _changed_rates_sql(cutoff) -%}
    select min(valid_from) from (
        {%- for reg in ['stg_onec__bonus_coefficients', 'stg_onec__points_prices',
                        'stg_onec__duty_tariffs', 'stg_onec__service_tariffs'] %}
        select valid_from from {{ ref(reg) }} where _last_loaded_at >= {{ cutoff }}
        {% if not loop.last %}union all{% endif %}
        {%- endfor %}
    ) as changed_rates
{%- endmacro %}

{#- that Period as a literal (none when no register row moved: callers leave the clause out) -#}
{% macro rates_changed_from_literal(cutoff) -%}
    {%- if execute and is_incremental() -%}
        {%- set v = run_query("select (" ~ _changed_rates_sql(cutoff) ~ ")::text").columns[0].values()[0] -%}
        {{- return(none if v is none else "'" ~ v ~ "'::timestamptz") -}}
    {%- else -%}
        {{- return(none) -}}
    {%- endif -%}
{%- endmacro %}

{#- The predicate selecting changed records in incremental mode (true otherwise). In a real run the cutoff and the register Period are literals and the money clause is left
    out when no register row moved (`or money_at >= (subquery)` kept PostgreSQL off the
    _source_loaded_at index: it expected a third of the table, e.g. all 5.1M transitions behind
    fct_events); in dbt unit tests (`this` is a fixture) both are subqueries. -#}
{% macro changed_records(loaded_col='_source_loaded_at', money_at=none) -%}
    {%- if is_incremental() -%}
    {%- set cutoff = incremental_cutoff() -%}
    {%- if not money_at -%}
        {%- set rates_from = none -%}
    {%- elif execute and not _incremental_in_unit_test() -%}
        {%- set rates_from = rates_changed_from_literal(cutoff) -%}
    {%- else -%}
        {%- set rates_from = '(' ~ _changed_rates_sql(cutoff) ~ ')' -%}
    {%- endif -%}
    ({{ loaded_col }} >= {{ cutoff }}
        {%- if rates_from %} or {{ money_at }} >= {{ rates_from }}{% endif %})
    {%- else -%}
    true
    {%- endif -%}
{%- endmacro %}

{#-
  Incremental staging: the raw rows to read are all versions of the keys that have a raw
  row in a load at or after the returned load id: the lowest of the newest load already in
  the table + 1 (`_max_load_id`) and the first load of this raw table that the previous run
  may not have seen whole (see the header). Without a recorded run: the first load that
  finished within `lookback_days` of the newest `_last_loaded_at` in the table.
-#}
{% macro raw_load_floor(relation) -%}
    {%- if execute and is_incremental() -%}
        {%- set previous = _previous_run_at() -%}
        {%- set source_name = relation.schema | replace('raw_', '', 1) -%}
        {%- set q -%}
            select least(
                coalesce((select max(_max_load_id) from {{ this }}), 0) + 1,
                {%- if previous %}
                (select min(load_id) from ({{ _loads_unseen_at(previous, source_name, relation.identifier) }}) as u)
                {%- else %}
                (select min(load_id) from raw_meta.loads
                 where coalesce(finished_at, 'infinity'::timestamptz) >= (select max(_last_loaded_at) from {{ this }})
                       - interval '{{ var("lookback_days") }} days')
                {%- endif %}
            )
        {%- endset -%}
        {{- return(run_query(q).columns[0].values()[0] | int) -}}
    {%- else -%}
        {{- return(0) -}}
    {%- endif -%}
{%- endmacro %}

{#- The `where` of latest_version() in an incremental staging model (none otherwise). -#}
{% macro raw_changed_keys(relation, key_column) -%}
    {%- if is_incremental() -%}
        {{- return(key_column ~ " in (select " ~ key_column ~ " from " ~ relation
                   ~ " where _load_id >= " ~ raw_load_floor(relation) ~ ")") -}}
    {%- else -%}
        {{- return(none) -}}
    {%- endif -%}
{%- endmacro %}

{#-
  int_ticket_status_transitions: the tickets with a status change loaded since the cutoff.
  Its pre-hook deletes their rows and the run appends their whole history again.
-#}
{% macro changed_transition_tickets() -%}
    (select ticket_id from {{ ref('stg_helpdesk__status_changes') }}
     where _last_loaded_at >= {{ cutoff_literal('_last_loaded_at') }} and ticket_id is not null)
{%- endmacro %}

{% macro delete_changed_transitions() -%}
    {%- if is_incremental() -%}
    delete from {{ this }} where ticket_id in {{ changed_transition_tickets() }}
    {%- endif -%}
{%- endmacro %}

{#-
  int_tickets_enriched: the tickets to rebuild, i.e. whose issue, status history, assignee
  match, company match, help-desk site, resolved site (registry) or equipment was loaded
  since the cutoff, and (money) those completed on or after the Period of a 1C register row
  loaded since the cutoff. Every input here also moves the ticket's `_source_loaded_at`, so
  the facts downstream (changed_records) pick the same tickets up.
-#}
{% macro changed_tickets() -%}
    {%- set cutoff = cutoff_literal('_source_loaded_at') -%}
    {%- set rates_from = rates_changed_from_literal(cutoff) -%}
    {%- set issues = ref('stg_helpdesk__issues') -%}
    select ticket_id from {{ issues }} where _last_loaded_at >= {{ cutoff }}
    union
    select ticket_id from {{ ref('stg_helpdesk__status_changes') }}
    where _last_loaded_at >= {{ cutoff }} and ticket_id is not null
    union
    select ticket_id from {{ issues }} where assignee_employee_id in (
        select employee_id from {{ ref('int_helpdesk_employees_matched') }} where _loaded_at >= {{ cutoff }})
    union
    select ticket_id from {{ issues }} where company_id in (
        select company_id from {{ ref('int_helpdesk_companies_matched') }} where _loaded_at >= {{ cutoff }})
    union
    select ticket_id from {{ issues }} where site_id in (
        select site_id from {{ ref('stg_helpdesk__sites') }}
        where _last_loaded_at >= {{ cutoff }}
           or site_code in (select site_code from {{ ref('int_sites_resolved') }} where _loaded_at >= {{ cutoff }}))
    union
    select ticket_id from {{ issues }} where equipment_ids && array(
        select equipment_id from {{ ref('stg_helpdesk__equipment') }} where _last_loaded_at >= {{ cutoff }})
    {%- if rates_from %}
    union
    select ticket_id from {{ this }} where completed_at >= {{ rates_from }}
    {%- endif %}
{%- endmacro %}

{#-
  int_time_entries_enriched: the entries to rebuild, i.e. loaded since the cutoff, of a
  ticket whose row moved since it, of an engineer whose match moved, of a client whose
  contracts or card moved (the new INN, and the INN the entries had), and (money) those
  logged on or after the Period of a 1C register row loaded since the cutoff.
-#}
{% macro changed_time_entries() -%}
    {%- set cutoff = cutoff_literal('_source_loaded_at') -%}
    {%- set rates_from = rates_changed_from_literal(cutoff) -%}
    {%- set entries = ref('stg_helpdesk__time_entries') -%}
    {%- set tickets = ref('int_tickets_enriched') -%}
    select time_entry_id from {{ entries }} where _last_loaded_at >= {{ cutoff }}
    union
    select time_entry_id from {{ entries }} where ticket_id in (
        select ticket_id from {{ tickets }} where _source_loaded_at >= {{ cutoff }})
    union
    select time_entry_id from {{ entries }} where employee_id in (
        select employee_id from {{ ref('int_helpdesk_employees_matched') }} where _loaded_at >= {{ cutoff }})
    union
    select time_entry_id from {{ entries }} where ticket_id in (
        select ticket_id from {{ tickets }} where client_inn in (
            select cl.inn
            from {{ ref('stg_onec__contracts') }} as c
            join {{ ref('stg_onec__clients') }} as cl on cl.client_ref = c.client_ref
            where c._last_loaded_at >= {{ cutoff }} or cl._last_loaded_at >= {{ cutoff }}
            union
            select client_inn from {{ this }} where contract_ref in (
                select c.contract_ref
                from {{ ref('stg_onec__contracts') }} as c
                left join {{ ref('stg_onec__clients') }} as cl on cl.client_ref = c.client_ref
                where c._last_loaded_at >= {{ cutoff }} or cl._last_loaded_at >= {{ cutoff }})))
    {%- if rates_from %}
    union
    select time_entry_id from {{ this }} where logged_at >= {{ rates_from }}
    {%- endif %}
{%- endmacro %}

{#- int_shifts_enriched: shifts loaded since the cutoff; (money) worked on or after a changed duty tariff. -#}
{% macro changed_shifts_predicate(alias) -%}
    {%- set cutoff = cutoff_literal('_source_loaded_at') -%}
    {%- set rates_from = rates_changed_from_literal(cutoff) -%}
    ({{ alias }}._last_loaded_at >= {{ cutoff }}
     {%- if rates_from %} or {{ alias }}.actual_start >= {{ rates_from }}{% endif %})
{%- endmacro %}
