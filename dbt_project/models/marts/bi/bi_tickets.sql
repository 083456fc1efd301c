-- Every ticket with the Russian names of its status, work type and priority and the names the filters use (the engineer's closed-ticket list).
select
    t.ticket_id,
    t.created_at,
    t.taken_at,
    t.completed_at,
    {{ to_company_local('t.created_at') }} as created_at_local,
    {{ to_company_local('t.completed_at') }} as completed_at_local,
    t.deadline_at,
    t.status_code,
    st.name_ru as status_name,
    t.work_type,
    w.name_ru as work_type_name,
    t.priority,
    pr.name_ru as priority_name,
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
left join {{ ref('dim_codes') }} st on st.domain = 'ticket_status' and st.code = t.status_code
left join {{ ref('dim_codes') }} pr on pr.domain = 'priority' and pr.code = t.priority
left join (
    select distinct on (work_type) work_type, name_ru
    from {{ ref('dim_work_types') }}
    order by work_type
) w on w.work_type = t.work_type
