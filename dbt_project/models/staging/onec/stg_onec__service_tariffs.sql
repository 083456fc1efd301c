-- 1C register ТарифыОбслуживания (latest version of each (Period, work type)):
-- client hourly rate and engineer hour cost by work type. Period is company-local.
with

source as (
    select * from {{ latest_version(source('raw_onec', 'service_tariffs'), ['period', 'work_type']) }} as latest
),

renamed as (
    select
        {{ local_to_tz('period') }} as valid_from,
        trim(coalesce(work_type::text, payload ->> 'ВидРабот')) as work_type,
        {{ to_numeric("payload ->> 'СтавкаЧасКлиента'") }} as client_rate,
        {{ to_numeric("payload ->> 'СебестоимостьЧасаИнженера'") }} as engineer_cost,
        _last_loaded_at
    from source
    where _record_vanished_at is null
),

dated as (
    -- in force from Period until the next Period of the same work_type
    select
        *,
        lead(valid_from) over (partition by work_type order by valid_from) as valid_to
    from renamed
)

select * from dated
