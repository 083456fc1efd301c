-- The engineers the dashboards' region / team / engineer filters list.
select
    personnel_no,
    full_name,
    login,
    team_name,
    region_name,
    is_active
from {{ ref('dim_engineers') }}
