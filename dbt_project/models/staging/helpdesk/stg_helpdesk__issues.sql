{{
    config(
        materialized='incremental', meta={'changed_rows_column': '_last_loaded_at'},
        unique_key='ticket_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        post_hook="{{ record_incremental_run() }}",
        indexes=[{'columns': ['ticket_id'], 'unique': True}, {'columns': ['_last_loaded_at']}, {'columns': ['_max_load_id']},
                 {'columns': ['assignee_employee_id']}, {'columns': ['company_id']}, {'columns': ['site_id']},
                 {'columns': ['equipment_ids'], 'type': 'gin'}],
    )
}}
-- Tickets: the latest version of every issue, typed; offsets kept (timestamptz).
-- Incremental (a table): a run re-reads from raw only the keys with a row of a load started
-- at or after the cutoff (raw_changed_keys, docs/incremental.md).
with

source as (
    select * from {{ latest_version(source('raw_helpdesk', 'issues'), ['id'],
        where=raw_changed_keys(source('raw_helpdesk', 'issues'), 'id')) }} as latest
),

renamed as (
    select
        id as ticket_id,
        payload ->> 'title' as title,
        (payload ->> 'created_at')::timestamptz as created_at,
        coalesce(updated_at::timestamptz, (payload ->> 'updated_at')::timestamptz) as updated_at,
        (payload ->> 'completed_at')::timestamptz as reported_completed_at,
        (payload ->> 'deadline_at')::timestamptz as deadline_at,
        (payload ->> 'planned_reaction_at')::timestamptz as planned_reaction_at,
        (payload ->> 'reacted_at')::timestamptz as reacted_at,
        (payload ->> 'delayed_to')::timestamptz as delayed_to,
        payload ->> 'source' as channel,
        (payload ->> 'company_id')::bigint as company_id,
        (payload ->> 'service_object_id')::bigint as site_id,
        array(
            select e::bigint
            from jsonb_array_elements_text(
                case when jsonb_typeof(payload -> 'equipment_ids') = 'array'
                     then payload -> 'equipment_ids' else '[]'::jsonb end
            ) as e
            order by 1
        ) as equipment_ids,
        (payload ->> 'parent_id')::bigint as parent_ticket_id,
        (payload -> 'assignee' ->> 'id')::bigint as assignee_employee_id,
        payload -> 'assignee' ->> 'name' as assignee_name,
        (payload ->> 'group_id')::bigint as team_id,
        {{ clean_text("payload -> 'type' ->> 'code'") }} as work_type,
        payload -> 'priority' ->> 'code' as priority,
        payload -> 'status' ->> 'code' as status_code,
        payload -> 'rate' ->> 'value' as rate,
        case payload -> 'rate' ->> 'value'
            when 'bad' then 1
            when 'normal' then 3
            when 'good' then 5
        end as csat,
        case
            when trim({{ hd_param('payload', 'complexity') }}) ~ '^[1-5]$'
            then trim({{ hd_param('payload', 'complexity') }})::int
        end as complexity,
        coalesce({{ to_bool(hd_param('payload', 'escalated')) }}, false) as is_escalated,
        coalesce({{ to_bool(hd_param('payload', 'vip_contact')) }}, false) as is_vip_contact,
        _record_vanished_at as vanished_at,
        _last_loaded_at,
        _version_count,
        _max_load_id
    from source
)

select * from renamed
