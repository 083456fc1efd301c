-- Sites: one row per site code (registry and help desk).
select
    site_code,
    helpdesk_site_id,
    client_inn,
    name,
    address,
    region,
    lat,
    lon,
    area_m2,
    assigned_personnel_no,
    timezone,
    in_registry,
    in_helpdesk
from {{ ref('int_sites_resolved') }}
