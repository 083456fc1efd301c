-- Help-desk equipment units.
with

source as (
    select * from {{ latest_version(source('raw_helpdesk', 'equipments'), ['id']) }} as latest
),

renamed as (
    select
        id as equipment_id,
        nullif(regexp_replace(coalesce(payload ->> 'serial_number', ''), '\s', '', 'g'), '') as serial_number,
        payload ->> 'inventory_number' as inventory_number,
        (payload ->> 'maintenance_entity_id')::bigint as site_id,
        (payload -> 'company' ->> 'id')::bigint as company_id,
        payload -> 'equipment_kind' ->> 'code' as kind_code,
        payload -> 'equipment_kind' ->> 'name' as kind_name,
        payload -> 'equipment_model' ->> 'code' as model_code,
        payload -> 'equipment_model' ->> 'name' as model_name,
        payload -> 'equipment_manufacturer' ->> 'code' as manufacturer_code,
        payload -> 'equipment_manufacturer' ->> 'name' as manufacturer_name,
        _record_vanished_at as vanished_at,
        _last_loaded_at
    from source
)

select * from renamed
