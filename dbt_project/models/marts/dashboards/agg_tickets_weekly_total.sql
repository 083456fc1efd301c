{#-
  agg_tickets_weekly summed over engineers and clients: one row per ISO week (~160 rows on
  `large`). «Нагрузка по неделям» reads it when neither a period nor an engineer / team /
  region / client filter is set (the dashboard's default view); otherwise agg_tickets_weekly
  and agg_tickets_daily. Incremental by week like the weekly table.
-#}
{{
    config(
        materialized='incremental',
        unique_key='week',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
    )
}}

with

{% if is_incremental() %}
weeks as (
    select distinct w.week
    from {{ ref('agg_tickets_weekly') }} w
    where w._batch_at > (select coalesce(max(_batch_at), '-infinity') from {{ this }})
),

weekly as (
    select w.*
    from {{ ref('agg_tickets_weekly') }} w
    where w.week in (select week from weeks)
),
{% else %}
weekly as (
    select * from {{ ref('agg_tickets_weekly') }}
),
{% endif %}

total as (
    select
        week,
        sum(tickets_opened) as tickets_opened,
        sum(tickets_open) as tickets_open,
        sum(closed_without_progress) as closed_without_progress,
        sum(tickets_closed) as tickets_closed,
        sum(csat_sum) as csat_sum,
        sum(csat_count) as csat_count,
        sum(sla_met) as sla_met,
        sum(sla_count) as sla_count
    from weekly
    group by 1
)

select *, now() as _batch_at from total
