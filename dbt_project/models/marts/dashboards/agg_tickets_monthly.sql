{#-
  agg_tickets_daily rolled up to months: what the ticket big numbers read when no period is
  chosen. Incremental like agg_money_monthly (months with daily rows written since the last
  batch: macros/marts/rollup_daily.sql).
-#}
{{
    config(
        materialized='incremental',
        unique_key='month',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        indexes=[{'columns': ['month']}],
    )
}}
{{ rollup_daily(ref('agg_tickets_daily'), 'month', [
    'tickets_opened', 'tickets_open', 'closed_without_progress', 'tickets_closed',
    'csat_sum', 'csat_count', 'sla_met', 'sla_count',
]) }}
