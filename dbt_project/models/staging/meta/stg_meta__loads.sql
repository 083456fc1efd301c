-- Extractor loads (raw_meta.loads), as they are.
with

source as (
    select * from {{ source('raw_meta', 'loads') }}
),

renamed as (
    select
        load_id,
        source,
        entity,
        started_at,
        finished_at,
        rows_seen,
        rows_inserted,
        rows_rejected,
        status,
        error
    from source
)

select * from renamed
