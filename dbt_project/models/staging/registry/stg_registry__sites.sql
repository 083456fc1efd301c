-- Registry sheet Объекты (latest version per site code); Russian headers renamed.
with

source as (
    select * from {{ latest_version(source('raw_registry', 'sites'), ['site_code']) }} as latest
),

renamed as (
    select
        nullif(regexp_replace(site_code::text, '\s', '', 'g'), '') as site_code,
        nullif(regexp_replace(coalesce(payload ->> 'ИНН клиента', ''), '[^0-9]', '', 'g'), '') as client_inn,
        {{ clean_text("payload ->> 'Название'") }} as name,
        {{ clean_text("payload ->> 'Адрес'") }} as address,
        {{ clean_text("payload ->> 'Регион'") }} as region,
        {{ to_numeric("payload ->> 'Широта'") }} as lat,
        {{ to_numeric("payload ->> 'Долгота'") }} as lon,
        {{ to_numeric("payload ->> 'Площадь, м2'") }} as area_m2,
        nullif(regexp_replace(coalesce(payload ->> 'Табельный № инженера', ''), '\s', '', 'g'), '') as engineer_personnel_no,
        payload ->> '_sheet' as sheet,
        (payload ->> '_row')::int as row_number,
        _record_vanished_at as vanished_at,
        _last_loaded_at
    from source
)

select * from renamed
