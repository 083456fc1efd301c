{#-
  agg_tickets_daily rolled up to ISO weeks (date_trunc('week', day)): what the ticket charts read
  when no period is chosen for «Нагрузка по неделям» (weekly bars: a week-start
  row falls in its own week, so the weekly grain answers that chart exactly; months would not).
  Incremental like agg_money_monthly (weeks with daily rows written since the last batch).
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

with

{% if is_incremental() %}
weeks as (
    select distinct date_trunc('week', d.day) as week
    from {{ ref('agg_tickets_daily') }} d
    where d._batch_at > (select coalesce(max(_batch_at), '-infinity') from {{ this }})
),

daily as (
    select d.*
    from weeks w
    join {{ ref('agg_tickets_daily') }} d
      on d.day >= w.week and d.day < w.week + interval '1 week'
),
{% else %}
daily as (
    select * from {{ ref('agg_tickets_daily') }}
),
{% endif %}

weekly as (
    select
        date_trunc('week', day) as week,
        personnel_no,
        client_inn,
        sum(tickets_opened) as tickets_opened,
        sum(tickets_open) as tickets_open,
        sum(closed_without_progress) as closed_without_progress,
        sum(tickets_closed) as tickets_closed,
        sum(csat_sum) as csat_sum,
        sum(csat_count) as csat_count,
        sum(sla_met) as sla_met,
        sum(sla_count) as sla_count
    from daily
    group by 1, 2, 3
)

select *, now() as _batch_at from weekly
