-- Equipment across systems, one row per serial number: the registry sheet Оборудование
-- and the help-desk equipment. The unit's engineer is the registry's override, else the
-- site's engineer.
with

registry as (
    select * from {{ ref('stg_registry__equipment') }}
    where serial_number is not null and vanished_at is null
),

helpdesk as (
    select
        e.*,
        s.site_code as helpdesk_site_code,
        row_number() over (partition by e.serial_number order by e.vanished_at nulls first, e.equipment_id) as rn
    from {{ ref('stg_helpdesk__equipment') }} as e
    left join {{ ref('stg_helpdesk__sites') }} as s on s.site_id = e.site_id
    where e.serial_number is not null
),

serials as (
    select serial_number from registry
    union
    select serial_number from helpdesk
),

joined as (
    select
        s.serial_number,
        h.equipment_id as helpdesk_equipment_id,
        coalesce(r.site_code, h.helpdesk_site_code) as site_code,
        coalesce(r.kind, h.kind_name) as kind,
        coalesce(r.model, h.model_name) as model,
        coalesce(r.manufacturer, h.manufacturer_name) as manufacturer,
        r.commissioned_on,
        r.engineer_personnel_no as unit_personnel_no,
        r.serial_number is not null as in_registry,
        h.equipment_id is not null as in_helpdesk,
        greatest(r._last_loaded_at, h._last_loaded_at) as _loaded_at
    from serials as s
    left join registry as r on r.serial_number = s.serial_number
    left join helpdesk as h on h.serial_number = s.serial_number and h.rn = 1
)

select
    j.*,
    coalesce(j.unit_personnel_no, site.assigned_personnel_no) as assigned_personnel_no
from joined as j
left join {{ ref('int_sites_resolved') }} as site on site.site_code = j.site_code
