-- Sites with their coordinates, assigned engineer and client (the manager's sites chart).
select
    s.site_code,
    s.name as site_name,
    s.address,
    s.region,
    s.lat,
    s.lon,
    s.area_m2,
    s.assigned_personnel_no as personnel_no,
    s.client_inn,
    e.full_name,
    e.team_name,
    e.region_name,
    c.name as client_name
from {{ ref('dim_sites') }} s
left join {{ ref('dim_engineers') }} e on e.personnel_no = s.assigned_personnel_no
left join {{ ref('dim_clients') }} c on c.client_inn = s.client_inn
