-- Every ticket with the names the filters use (the engineer's closed-ticket list).
select
    t.ticket_id,
    t.created_at,
    t.taken_at,
    t.completed_at,
    t.deadline_at,
    t.status_code,
    t.work_type,
    t.priority,
    t.complexity,
    t.is_escalated,
    t.csat,
    t.reopen_count,
    t.personnel_no,
    t.client_inn,
    t.site_code,
    t.sla_resolution_met,
    t.sla_reaction_met,
    t.passed_in_progress,
    t.completed_at is null as is_open,
    e.full_name,
    e.team_name,
    e.region_name,
    c.name as client_name
from {{ ref('fct_tickets') }} t
left join {{ ref('dim_engineers') }} e on e.personnel_no = t.personnel_no
left join {{ ref('dim_clients') }} c on c.client_inn = t.client_inn
