-- Registry sheet Оборудование (latest version per serial number); Russian headers renamed.
-- The engineer here overrides the site's engineer for this unit.
with

source as (
    select * from {{ latest_version(source('raw_registry', 'equipment'), ['serial_number']) }} as latest
),

renamed as (
    select
        nullif(regexp_replace(serial_number::text, '\s', '', 'g'), '') as serial_number,
        nullif(regexp_replace(coalesce(payload ->> 'Код объекта', ''), '\s', '', 'g'), '') as site_code,
        {{ clean_text("payload ->> 'Тип'") }} as kind,
        {{ clean_text("payload ->> 'Производитель'") }} as manufacturer,
        {{ clean_text("payload ->> 'Модель'") }} as model,
        (case
            when trim((payload ->> 'Дата ввода')) ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}' then left(trim((payload ->> 'Дата ввода')), 10)::date
            when trim((payload ->> 'Дата ввода')) ~ '^[0-9]{2}\.[0-9]{2}\.[0-9]{4}$' then to_date(trim((payload ->> 'Дата ввода')), 'DD.MM.YYYY')
        end) as commissioned_on,
        nullif(regexp_replace(coalesce(payload ->> 'Табельный № инженера', ''), '\s', '', 'g'), '') as engineer_personnel_no,
        payload ->> '_sheet' as sheet,
        (payload ->> '_row')::int as row_number,
        _record_vanished_at as vanished_at,
        _last_loaded_at
    from source
)

select * from renamed
