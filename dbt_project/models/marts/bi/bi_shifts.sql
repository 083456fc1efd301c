-- Schedule shifts that were not deleted, with the Russian names of type and status and the engineer's names (shift history, planned shifts).
select
    sh.shift_id,
    sh.personnel_no,
    sh.shift_type,
    ty.name_ru as shift_type_name,
    sh.planned_start,
    sh.planned_end,
    sh.actual_start,
    sh.actual_end,
    {{ to_company_local('sh.planned_start') }} as planned_start_local,
    {{ to_company_local('sh.planned_end') }} as planned_end_local,
    sh.status,
    st.name_ru as status_name,
    sh.planned_hours,
    sh.worked_hours,
    sh.is_duty,
    e.full_name,
    e.team_name,
    e.region_name
from {{ ref('fct_shifts') }} sh
left join {{ ref('dim_engineers') }} e on e.personnel_no = sh.personnel_no
left join {{ ref('dim_codes') }} ty on ty.domain = 'shift_type' and ty.code = sh.shift_type
left join {{ ref('dim_codes') }} st on st.domain = 'shift_status' and st.code = sh.status
where not coalesce(sh.is_deleted, false)
