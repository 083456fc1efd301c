-- The monthly load index per engineer (100 = the team's median).
select
    l.personnel_no,
    l.period_start,
    l.load_index,
    e.full_name,
    e.team_name,
    e.region_name
from {{ ref('mart_engineer_load_index') }} l
left join {{ ref('dim_engineers') }} e on e.personnel_no = l.personnel_no
where l.grain = 'month'
