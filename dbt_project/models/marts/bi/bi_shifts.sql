-- Schedule shifts that were not deleted, with the engineer's names (shift history, planned shifts).
select
    sh.shift_id,
    sh.personnel_no,
    sh.shift_type,
    sh.planned_start,
    sh.planned_end,
    sh.actual_start,
    sh.actual_end,
    sh.status,
    sh.planned_hours,
    sh.worked_hours,
    sh.is_duty,
    e.full_name,
    e.team_name,
    e.region_name
from {{ ref('fct_shifts') }} sh
left join {{ ref('dim_engineers') }} e on e.personnel_no = sh.personnel_no
where not coalesce(sh.is_deleted, false)
