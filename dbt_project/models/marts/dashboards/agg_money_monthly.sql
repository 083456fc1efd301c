{#-
  agg_money_daily rolled up to months (date_trunc('month', day)): what the money big numbers
  read when no period is chosen (the dashboard's default), ~30x fewer rows than the daily table.
  Incremental (delete+insert by month): months with a daily row written since this table's
  last batch (_batch_at) are rebuilt from the daily table (macros/marts/rollup_daily.sql).
-#}
{{
    config(
        materialized='incremental',
        unique_key='month',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        indexes=[{'columns': ['month']}, {'columns': ['_batch_at']}],
    )
}}
-- index on _batch_at: the max(_batch_at) of this table that picks the months to rebuild reads
-- the index end instead of the whole table (532k rows, 0.16 s on large, 2026-11-22)
{{ rollup_daily(ref('agg_money_daily'), 'month', ['revenue_rub', 'cost_rub', 'money_events']) }}
