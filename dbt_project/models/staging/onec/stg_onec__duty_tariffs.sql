-- 1C register rows (latest version of each (Period, shift_type)); Period is company-local and
-- becomes valid_from (timestamptz). Rows that disappeared from 1C are dropped.
with

source as (
    select * from {{ latest_version(source('raw_onec', 'duty_tariffs'), ['period', 'shift_type']) }} as latest
),

renamed as (
    select
        {{ local_to_tz('period') }} as valid_from,
        trim(coalesce(shift_type::text, payload ->> 'ТипСмены')) as shift_type,
        {{ to_numeric("payload ->> 'Ставка'") }} as rate,
        _last_loaded_at
    from source
    where _record_vanished_at is null
),

dated as (
    -- in force from Period until the next Period of the same shift_type
    select
        *,
        lead(valid_from) over (partition by shift_type order by valid_from) as valid_to
    from renamed
)

select * from dated
