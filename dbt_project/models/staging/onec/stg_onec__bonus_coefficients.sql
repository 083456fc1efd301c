-- 1C register rows (latest version of each (Period, code)); Period is company-local and
-- becomes valid_from (timestamptz). Rows that disappeared from 1C are dropped.
with

source as (
    select * from {{ latest_version(source('raw_onec', 'bonus_coefficients'), ['period', 'code']) }} as latest
),

renamed as (
    select
        {{ local_to_tz('period') }} as valid_from,
        trim(coalesce(code::text, payload ->> 'Коэффициент')) as code,
        {{ to_numeric("payload ->> 'Значение'") }} as value,
        _last_loaded_at
    from source
    where _record_vanished_at is null
),

dated as (
    -- in force from Period until the next Period of the same code
    select
        *,
        lead(valid_from) over (partition by code order by valid_from) as valid_to
    from renamed
)

select * from dated
