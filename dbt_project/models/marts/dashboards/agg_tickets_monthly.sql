{#-
  agg_tickets_daily rolled up to months: what the ticket big numbers read when no period is
  chosen. Incremental like agg_money_monthly (months with daily rows written since the last batch).
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

with

{% if is_incremental() %}
months as (
    select distinct date_trunc('month', d.day) as month
    from {{ ref('agg_tickets_daily') }} d
    where d._batch_at > (select coalesce(max(_batch_at), '-infinity') from {{ this }})
),

daily as (
    select d.*
    from months m
    join {{ ref('agg_tickets_daily') }} d
      on d.day >= m.month and d.day < m.month + interval '1 month'
),
{% else %}
daily as (
    select * from {{ ref('agg_tickets_daily') }}
),
{% endif %}

monthly as (
    select
        date_trunc('month', day) as month,
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

select *, now() as _batch_at from monthly
