-- Monthly KPI per engineer with the names the filters use.
select
    k.personnel_no,
    k.period_start,
    k.closed_tickets,
    k.weighted_closed,
    k.avg_resolution_hours,
    k.sla_resolution_rate,
    k.sla_reaction_rate,
    k.hours_worked,
    k.onsite_hours,
    k.sites_served,
    k.equipment_served,
    k.sites_assigned,
    k.fleet_assigned,
    k.repeat_share,
    k.csat_avg,
    k.csat_count,
    k.low_csat_count,
    e.full_name,
    e.team_name,
    e.region_name
from {{ ref('mart_engineer_kpi') }} k
left join {{ ref('dim_engineers') }} e on e.personnel_no = k.personnel_no
