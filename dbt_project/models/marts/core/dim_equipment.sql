-- Equipment units: one row per serial number (registry and help desk).
select
    serial_number,
    helpdesk_equipment_id,
    site_code,
    kind,
    model,
    manufacturer,
    commissioned_on,
    assigned_personnel_no,
    in_registry,
    in_helpdesk
from {{ ref('int_equipment_resolved') }}
