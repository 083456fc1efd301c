{#-
  Ticket counts per day x engineer x client (agg_tickets_daily) with the names the filters
  use: opened, closed, CSAT, SLA and the weekly load bars. The day appears twice:
  `created_at` for the counts by creation day (opened, still open, closed without
  in_progress), `completed_at` for those by completion day
  (closed, CSAT, SLA), so each chart filters its own time column. A day-aligned period reads
  exactly its days (index on day). Dimensions as DISTINCT ON subqueries (unique keys), so
  PostgreSQL drops the joins a query does not use.
-#}
select
    a.day as created_at,
    a.day as completed_at,
    a.personnel_no,
    a.client_inn,
    a.tickets_opened,
    a.tickets_open,
    a.closed_without_progress,
    a.tickets_closed,
    a.csat_sum,
    a.csat_count,
    a.sla_met,
    a.sla_count,
    e.full_name,
    e.team_name,
    e.region_name,
    c.name as client_name
from {{ ref('agg_tickets_daily') }} a
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
