{{
    config(
        materialized='incremental', meta={'changed_rows_column': '_last_loaded_at'},
        unique_key='shift_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        post_hook="{{ record_incremental_run() }}",
        indexes=[{'columns': ['shift_id'], 'unique': True}, {'columns': ['_last_loaded_at']}, {'columns': ['_max_load_id']}],
    )
}}
-- Shifts (latest version); a tombstone (`deleted`) or a disappearance marks the shift deleted.
-- Incremental (a table): a run re-reads from raw only the keys with a row of a load started
-- at or after the cutoff (raw_changed_keys, docs/incremental.md).
with

source as (
    select * from {{ latest_version(source('raw_schedule', 'shifts'), ['id'],
        where=raw_changed_keys(source('raw_schedule', 'shifts'), 'id')) }} as latest
),

renamed as (
    select
        id::text as shift_id,
        {{ clean_text("payload ->> 'personnel_no'") }} as personnel_no,
        {{ clean_text("payload ->> 'email'") }} as email,
        lower({{ clean_text("payload ->> 'email'") }}) as email_normalized,
        payload ->> 'shift_type' as shift_type,
        (payload ->> 'planned_start')::timestamptz as planned_start,
        (payload ->> 'planned_end')::timestamptz as planned_end,
        (payload ->> 'actual_start')::timestamptz as actual_start,
        (payload ->> 'actual_end')::timestamptz as actual_end,
        payload ->> 'status' as status,
        coalesce(updated_at::timestamptz, (payload ->> 'updated_at')::timestamptz) as updated_at,
        (coalesce(deleted::boolean, {{ to_bool("payload ->> 'deleted'") }}, false)
            or _record_vanished_at is not null) as is_deleted,
        _record_vanished_at as vanished_at,
        _last_loaded_at,
        _max_load_id
    from source
)

select * from renamed
