-- The tickets still open (dash_open_tickets: a few thousand rows), with the names the filters
-- use and the Russian names of status, work type and priority: the engineer's upcoming work
-- and the manager's backlog (count of rows). Dimensions as
-- DISTINCT ON subqueries (unique keys), so PostgreSQL drops the joins a query does not use.
select
    t.ticket_id,
    t.created_at,
    t.deadline_at,
    t.completed_at,
    {{ to_company_local('t.created_at') }} as created_at_local,
    {{ to_company_local('t.deadline_at') }} as deadline_at_local,
    t.status_code,
    st.name_ru as status_name,
    t.work_type,
    w.name_ru as work_type_name,
    t.priority,
    pr.name_ru as priority_name,
    t.personnel_no,
    t.client_inn,
    t.site_code,
    t.completed_at is null as is_open,
    e.full_name,
    e.team_name,
    e.region_name,
    c.name as client_name
from {{ ref('dash_open_tickets') }} t
left join (
    select distinct on (personnel_no) personnel_no, full_name, team_name, region_name
    from {{ ref('dim_engineers') }}
    order by personnel_no
) e on e.personnel_no = t.personnel_no
left join (
    select distinct on (client_inn) client_inn, name
    from {{ ref('dim_clients') }}
    order by client_inn
) c on c.client_inn = t.client_inn
left join {{ ref('dim_codes') }} st on st.domain = 'ticket_status' and st.code = t.status_code
left join {{ ref('dim_codes') }} pr on pr.domain = 'priority' and pr.code = t.priority
left join (
    select distinct on (work_type) work_type, name_ru
    from {{ ref('dim_work_types') }}
    order by work_type
) w on w.work_type = t.work_type
