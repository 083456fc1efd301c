-- Help-desk companies (clients): INN from the custom parameter, crm_1c_id = 1C Ref_Key.
with

source as (
    select * from {{ latest_version(source('raw_helpdesk', 'companies'), ['id']) }} as latest
),

renamed as (
    select
        id as company_id,
        payload ->> 'name' as name,
        {{ onec_ref("payload ->> 'crm_1c_id'") }} as crm_1c_id,
        coalesce({{ to_bool("payload ->> 'active'") }}, true) as is_active,
        nullif(regexp_replace(coalesce({{ hd_param('payload', 'inn') }}, ''), '[^0-9]', '', 'g'), '') as inn,
        _record_vanished_at as vanished_at,
        _last_loaded_at
    from source
)

select * from renamed
