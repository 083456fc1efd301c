-- 1C Catalog_Контрагенты: clients by INN.
with

source as (
    select * from {{ latest_version(source('raw_onec', 'clients'), ['ref_key']) }} as latest
),

renamed as (
    select
        ref_key::text as client_ref,
        data_version,
        payload ->> 'Code' as code,
        {{ clean_text("payload ->> 'Description'") }} as name,
        nullif(regexp_replace(coalesce(payload ->> 'ИНН', ''), '[^0-9]', '', 'g'), '') as inn,
        coalesce(deletion_mark, false) as deletion_mark,
        (coalesce(deletion_mark, false) or _record_vanished_at is not null) as is_deleted,
        _record_vanished_at as vanished_at,
        _last_loaded_at
    from source
)

select * from renamed
