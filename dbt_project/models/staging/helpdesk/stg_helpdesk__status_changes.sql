{{
    config(
        materialized='incremental', meta={'changed_rows_column': '_last_loaded_at'},
        unique_key='status_change_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        post_hook="{{ record_incremental_run() }}",
        indexes=[{'columns': ['status_change_id'], 'unique': True}, {'columns': ['ticket_id']},
                 {'columns': ['_last_loaded_at']}, {'columns': ['_max_load_id']}],
    )
}}
-- Every status history row (latest version of each row), one row per status change.
-- Incremental (a table): a run re-reads from raw only the keys with a row of a load started
-- at or after the cutoff (raw_changed_keys, docs/incremental.md).
with

source as (
    select * from {{ latest_version(source('raw_helpdesk', 'status_history'), ['id'],
        where=raw_changed_keys(source('raw_helpdesk', 'status_history'), 'id')) }} as latest
),

renamed as (
    select
        id as status_change_id,
        coalesce(issue_id::bigint, (payload ->> 'issue_id')::bigint) as ticket_id,
        payload -> 'status' ->> 'code' as status_code,
        (payload ->> 'changed_at')::timestamptz as changed_at,
        (payload -> 'author' ->> 'id')::bigint as author_employee_id,
        coalesce(updated_at::timestamptz, (payload ->> 'updated_at')::timestamptz) as updated_at,
        _record_vanished_at as vanished_at,
        _last_loaded_at,
        _max_load_id
    from source
)

select * from renamed
