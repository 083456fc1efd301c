{#-
  Bonus amounts per period x engineer x line kind (mart_bonus_lines summed): what the bonus
  big numbers and the «by kind» pie read. The time column of bonus lines is already the
  month (period_start), so this grain answers every period filter exactly.
  Incremental by period as mart_bonus_lines (macros/marts/marts_incremental.sql): the months
  a record loaded since the last build can reach are regrouped (index on period_start) and
  replaced; the others are left as they are.
-#}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='period_start',
        on_schema_change='append_new_columns',
        post_hook="{{ record_incremental_run() }}",
        indexes=[{'columns': ['period_start']}, {'columns': ['personnel_no', 'period_start']}],
    )
}}
{{ marts_incremental_depends_on() }}
{%- set touched = marts_touched('month') %}

select
    period_start,
    personnel_no,
    line_kind,
    sum(amount_rub) as amount_rub,
    sum(points) as points,
    count(*) as lines
from {{ ref('mart_bonus_lines') }}
where {{ marts_period_in(touched, 'period_start') }}
group by 1, 2, 3
