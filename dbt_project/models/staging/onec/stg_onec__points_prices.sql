-- 1C register rows (latest version of each (Period, work_type)); Period is company-local and
-- becomes valid_from (timestamptz). Rows that disappeared from 1C are dropped.
with

source as (
    select * from {{ latest_version(source('raw_onec', 'points'), ['period', 'work_type']) }} as latest
),

renamed as (
    select
        {{ local_to_tz('period') }} as valid_from,
        trim(coalesce(work_type::text, payload ->> 'ВидРабот')) as work_type,
        {{ to_numeric("payload ->> 'Баллы'") }} as points,
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
