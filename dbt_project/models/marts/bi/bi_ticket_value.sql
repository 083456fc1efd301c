-- The open tickets' bonus value (mart_ticket_value, computed when queried) with the names the
-- screens show: the engineer's «what to take first» list and the manager's per engineer.
-- Dimensions as DISTINCT ON subqueries (unique keys), so PostgreSQL drops the joins a query
-- does not use.
select
    v.ticket_id,
    v.personnel_no,
    e.full_name,
    e.team_name,
    e.region_name,
    v.client_inn,
    c.name as client_name,
    v.site_code,
    v.work_type,
    w.name_ru as work_type_name,
    st.name_ru as status_name,
    v.created_at,
    v.taken_at,
    v.deadline_at,
    v.as_of,
    v.hours_left,
    v.is_overdue,
    case
        when v.deadline_at is null then 'без срока'
        when v.is_overdue then 'просрочена'
        else 'в срок'
    end as sla_state,
    v.take_order,
    v.points_now,
    v.value_now_rub,
    v.value_at_deadline_rub,
    v.value_after_deadline_rub,
    v.at_stake_rub
from {{ ref('mart_ticket_value') }} v
left join (
    select distinct on (personnel_no) personnel_no, full_name, team_name, region_name
    from {{ ref('dim_engineers') }}
    order by personnel_no
) e on e.personnel_no = v.personnel_no
left join (
    select distinct on (client_inn) client_inn, name
    from {{ ref('dim_clients') }}
    order by client_inn
) c on c.client_inn = v.client_inn
left join {{ ref('dim_codes') }} st on st.domain = 'ticket_status' and st.code = v.status_code
left join (
    select distinct on (work_type) work_type, name_ru
    from {{ ref('dim_work_types') }}
    order by work_type
) w on w.work_type = v.work_type
