-- Every status history row (latest version of each row), one row per status change.
with

source as (
    select * from {{ latest_version(source('raw_helpdesk', 'status_history'), ['id']) }} as latest
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
        _last_loaded_at
    from source
)

select * from renamed
