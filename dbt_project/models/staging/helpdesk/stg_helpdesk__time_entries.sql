-- Every time entry (latest version of each), hours as numeric.
with

source as (
    select * from {{ latest_version(source('raw_helpdesk', 'time_entries'), ['id']) }} as latest
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
        _last_loaded_at
    from source
)

select * from renamed
