-- 1C Catalog_Сотрудники: personnel numbers and e-mails of the company's people.
with

source as (
    select * from {{ latest_version(source('raw_onec', 'employees'), ['ref_key']) }} as latest
),

renamed as (
    select
        ref_key::text as employee_ref,
        data_version,
        payload ->> 'Code' as code,
        {{ clean_text("payload ->> 'Description'") }} as full_name,
        {{ clean_text("payload ->> 'ТабельныйНомер'") }} as personnel_no,
        {{ clean_text("payload ->> 'АдресЭлектроннойПочты'") }} as email,
        lower({{ clean_text("payload ->> 'АдресЭлектроннойПочты'") }}) as email_normalized,
        {{ clean_text("payload ->> 'Подразделение'") }} as department,
        coalesce(deletion_mark, false) as deletion_mark,
        (coalesce(deletion_mark, false) or _record_vanished_at is not null) as is_deleted,
        _record_vanished_at as vanished_at,
        _last_loaded_at
    from source
)

select * from renamed
