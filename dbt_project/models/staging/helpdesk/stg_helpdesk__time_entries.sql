{{
    config(
        materialized='incremental', meta={'changed_rows_column': '_last_loaded_at'},
        unique_key='time_entry_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        post_hook="{{ record_incremental_run() }}",
        indexes=[{'columns': ['time_entry_id'], 'unique': True}, {'columns': ['ticket_id']}, {'columns': ['employee_id']},
                 {'columns': ['_last_loaded_at']}, {'columns': ['_max_load_id']}],
    )
}}
-- Every time entry (latest version of each), hours as numeric.
-- Incremental (a table): a run re-reads from raw only the keys with a row of a load started
-- at or after the cutoff (raw_changed_keys, docs/incremental.md).
with

source as (
    select * from {{ latest_version(source('raw_helpdesk', 'time_entries'), ['id'],
        where=raw_changed_keys(source('raw_helpdesk', 'time_entries'), 'id')) }} as latest
),

renamed as (
    select
        id as time_entry_id,
        coalesce(issue_id::bigint, (payload ->> 'issue_id')::bigint) as ticket_id,
        {{ to_numeric("payload ->> 'spent_time'") }} as hours,
        (payload ->> 'logged_at')::timestamptz as logged_at,
        coalesce(updated_at::timestamptz, (payload ->> 'updated_at')::timestamptz) as updated_at,
        (payload -> 'employee' ->> 'id')::bigint as employee_id,
        payload -> 'employee' ->> 'login' as employee_login,
        payload -> 'employee' ->> 'name' as employee_name,
        payload ->> 'comment' as comment,
        {{ hd_param('payload', 'activity') }} as activity,
        _record_vanished_at as vanished_at,
        _last_loaded_at,
        _max_load_id
    from source
)

select * from renamed
