-- Help-desk maintenance entities (service objects = sites); site_code from the parameter.
with

source as (
    select * from {{ latest_version(source('raw_helpdesk', 'maintenance_entities'), ['id']) }} as latest
),

renamed as (
    select
        id as site_id,
        payload ->> 'name' as name,
        (payload ->> 'company_id')::bigint as company_id,
        payload ->> 'address' as address,
        {{ to_numeric("payload -> 'coordinates' ->> 0") }} as lat,
        {{ to_numeric("payload -> 'coordinates' ->> 1") }} as lon,
        payload -> 'timezone' ->> 'code' as timezone,
        nullif(regexp_replace(coalesce({{ hd_param('payload', 'site_code') }}, ''), '\s', '', 'g'), '') as site_code,
        _record_vanished_at as vanished_at,
        _last_loaded_at
    from source
)

select * from renamed
