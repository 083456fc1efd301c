-- Help-desk employees (latest version); team = the first group.
with

source as (
    select * from {{ latest_version(source('raw_helpdesk', 'employees'), ['id']) }} as latest
),

renamed as (
    select
        id as employee_id,
        {{ clean_text("payload ->> 'last_name'") }} as last_name,
        {{ clean_text("payload ->> 'first_name'") }} as first_name,
        {{ clean_text("payload ->> 'patronymic'") }} as patronymic,
        concat_ws(' ',
            {{ clean_text("payload ->> 'last_name'") }},
            {{ clean_text("payload ->> 'first_name'") }},
            {{ clean_text("payload ->> 'patronymic'") }}) as full_name,
        payload ->> 'position' as position,
        coalesce({{ to_bool("payload ->> 'active'") }}, true) as is_active,
        {{ clean_text("payload ->> 'email'") }} as email,
        lower({{ clean_text("payload ->> 'email'") }}) as email_normalized,
        {{ clean_text("payload ->> 'login'") }} as login,
        (payload -> 'groups' -> 0 ->> 'id')::bigint as team_id,
        payload -> 'groups' -> 0 ->> 'name' as team_name,
        _record_vanished_at as vanished_at,
        _last_loaded_at
    from source
)

select * from renamed
