{#- A dashboard aggregate rolled up from a daily one (agg_tickets_daily, agg_money_daily) to a
    coarser `grain` ('month' | 'week'): one row per period (column named after the grain:
    date_trunc(grain, day)) x engineer x client, each column of `sums` summed.
    Incremental (delete+insert on the period): the periods with a daily row written since this
    table's last batch (_batch_at) are regrouped from the daily table. -#}
{% macro rollup_daily(daily, grain, sums) -%}
with

{% if is_incremental() %}
periods as (
    select distinct date_trunc('{{ grain }}', d.day) as period_start
    from {{ daily }} d
    where d._batch_at > (select coalesce(max(_batch_at), '-infinity') from {{ this }})
),

daily as (
    select d.*
    from periods p
    join {{ daily }} d
      on d.day >= p.period_start and d.day < p.period_start + interval '1 {{ grain }}'
),
{% else %}
daily as (
    select * from {{ daily }}
),
{% endif %}

rolled_up as (
    select
        date_trunc('{{ grain }}', day) as {{ grain }},
        personnel_no,
        client_inn
        {%- for c in sums %},
        sum({{ c }}) as {{ c }}
        {%- endfor %}
    from daily
    group by 1, 2, 3
)

select *, now() as _batch_at from rolled_up
{%- endmacro %}
