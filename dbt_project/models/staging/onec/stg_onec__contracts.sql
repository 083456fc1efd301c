-- 1C Catalog_ДоговорыКонтрагентов: service contracts. An empty end date
-- (0001-01-01T00:00:00) means open-ended (null).
with

source as (
    select * from {{ latest_version(source('raw_onec', 'contracts'), ['ref_key']) }} as latest
),

renamed as (
    select
        ref_key::text as contract_ref,
        data_version,
        payload ->> 'Code' as code,
        {{ clean_text("payload ->> 'Description'") }} as name,
        {{ onec_ref("payload ->> 'Owner_Key'") }} as client_ref,
        (case
            when nullif(trim((payload ->> 'ДатаНачала')), '') is null then null
            when left(trim((payload ->> 'ДатаНачала')), 10) = '0001-01-01' then null
            else left(trim((payload ->> 'ДатаНачала')), 10)::date
        end) as start_date,
        (case
            when nullif(trim((payload ->> 'ДатаОкончания')), '') is null then null
            when left(trim((payload ->> 'ДатаОкончания')), 10) = '0001-01-01' then null
            else left(trim((payload ->> 'ДатаОкончания')), 10)::date
        end) as end_date,
        {{ to_numeric("payload ->> 'АбонентскаяПлата'") }} as monthly_fee,
        {{ to_numeric("payload ->> 'ВключеноЧасов'") }} as included_hours,
        {{ to_numeric("payload ->> 'СтавкаСверхЛимита'") }} as overage_rate,
        {{ clean_text("payload ->> 'УровеньSLA'") }} as sla_level,
        coalesce(deletion_mark, false) as deletion_mark,
        (coalesce(deletion_mark, false) or _record_vanished_at is not null) as is_deleted,
        _record_vanished_at as vanished_at,
        _last_loaded_at
    from source
)

select * from renamed
