{#-
  agg_tickets_daily rolled up to ISO weeks (date_trunc('week', day)): what the ticket charts read
  when no period is chosen for «Нагрузка по неделям» (weekly bars: a week-start
  row falls in its own week, so the weekly grain answers that chart exactly; months would not).
  Incremental like agg_money_monthly (weeks with daily rows written since the last batch:
  macros/marts/rollup_daily.sql).
-#}
{{
    config(
        materialized='incremental',
        unique_key='week',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        indexes=[{'columns': ['week']}],
    )
}}
{{ rollup_daily(ref('agg_tickets_daily'), 'week', [
    'tickets_opened', 'tickets_open', 'closed_without_progress', 'tickets_closed',
    'csat_sum', 'csat_count', 'sla_met', 'sla_count',
]) }}
