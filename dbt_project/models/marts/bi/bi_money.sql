{#-
  Revenue and cost per day x engineer x client (agg_money_daily) with the names the filters
  use: «Выручка», «Затраты», «Маржа». The time column is the day, so a day-aligned period
  (every Superset preset and calendar date) reads exactly the days it covers (index on day)
  and gives the sums of fct_events. Dimensions as DISTINCT ON subqueries: their keys are
  unique (dbt-tested), so PostgreSQL drops the joins a query does not use.
-#}
select
    a.day as occurred_at,
    a.personnel_no,
    a.client_inn,
    a.revenue_rub,
    a.cost_rub,
    a.money_events,
    e.full_name,
    e.team_name,
    e.region_name,
    c.name as client_name
from {{ ref('agg_money_daily') }} a
left join (
    select distinct on (personnel_no) personnel_no, full_name, team_name, region_name
    from {{ ref('dim_engineers') }}
    order by personnel_no
) e on e.personnel_no = a.personnel_no
left join (
    select distinct on (client_inn) client_inn, name
    from {{ ref('dim_clients') }}
    order by client_inn
) c on c.client_inn = a.client_inn
