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
-- Every status change of a ticket, one row each, from two inputs:
--   * the status history (raw_helpdesk.status_history, latest version of each row): our relay's
--     exact feed, or in okdesk mode the changes observed by polling (`observed_by: poll`:
--     is_approximate, the moment is the latest the change can have happened, docs/okdesk.md);
--   * the webhook events (stg_helpdesk__webhook_status_changes): exact.
-- Where both saw a change, one row counts, the other stays with vanished_at set (staging never
-- deletes a row, so a nightly run and a full build agree):
--   * a ticket with exact history rows keeps them; its webhook rows are set aside;
--   * a polled row is set aside when a webhook row of the ticket went into the same status
--     after the polled row before it (or ever, for the first sight) and at or before it: the
--     webhook saw that change exactly. Polled rows no webhook explains (before the webhook was
--     configured, or while the receiver was down) stay, approximate.
-- Incremental (a table): a run redoes every row of the tickets with a status history row of a
-- load started at or after the cutoff or a webhook event received since it (docs/incremental.md).
{%- set cutoff = cutoff_literal() %}
{%- set history_where = none %}
{%- set webhook_where = none %}
{%- if execute and cutoff != "'-infinity'::timestamptz" %}
    {%- set ids = run_query("select load_id from raw_meta.loads where started_at >= " ~ cutoff).columns[0].values() %}
    {%- set loads = (ids | map('int') | join(', ')) or 'null' %}
    {%- set history = source('raw_helpdesk', 'status_history') %}
    {%- set tickets -%}
        (select issue_id from {{ history }} where _load_id in ({{ loads }}) and issue_id is not null
         union
         select issue_id from {{ source('raw_helpdesk', 'webhook_events') }}
         where received_at >= {{ cutoff }} and issue_id is not null)
    {%- endset %}
    {#- one IN over a union, not an OR of two INs: PostgreSQL then reads the few rows by their
        indexes (issue_id, _load_id), where the OR made it filter every row of the history #}
    {%- set history_where = "id in (select id from " ~ history ~ " where issue_id in " ~ tickets
                            ~ " union select id from " ~ history ~ " where _load_id in (" ~ loads ~ "))" %}
    {%- set webhook_where = "ticket_id in " ~ tickets %}
{%- endif %}
with

source as (
    select * from {{ latest_version(source('raw_helpdesk', 'status_history'), ['id'], where=history_where) }} as latest
),

history as (
    select
        id as status_change_id,
        coalesce(issue_id::bigint, (payload ->> 'issue_id')::bigint) as ticket_id,
        payload -> 'status' ->> 'code' as status_code,
        (payload ->> 'changed_at')::timestamptz as changed_at,
        (payload -> 'author' ->> 'id')::bigint as author_employee_id,
        coalesce(updated_at::timestamptz, (payload ->> 'updated_at')::timestamptz) as updated_at,
        coalesce(payload ->> 'observed_by' = 'poll', false) as is_approximate,
        _record_vanished_at as vanished_at,
        _last_loaded_at,
        _max_load_id
    from source
),

webhook as (
    select status_change_id, ticket_id, status_code, changed_at, author_employee_id, updated_at,
           received_at as _last_loaded_at
    from {{ ref('stg_helpdesk__webhook_status_changes') }}
    {%- if webhook_where %}
    where {{ webhook_where }}
    {%- endif %}
),

exact_history as (
    select ticket_id, max(_last_loaded_at) as loaded_at
    from history
    where not is_approximate and vanished_at is null
    group by ticket_id
),

webhook_used as (
    select w.*
    from webhook as w
    where not exists (select 1 from exact_history as e where e.ticket_id = w.ticket_id)
),

polled as (
    select
        status_change_id, ticket_id, status_code, changed_at,
        lag(changed_at) over (partition by ticket_id order by changed_at, status_change_id) as seen_before
    from history
    where is_approximate and vanished_at is null
),

superseded as (
    select p.status_change_id, min(w._last_loaded_at) as superseded_at
    from polled as p
    inner join webhook_used as w
        on w.ticket_id = p.ticket_id and w.status_code = p.status_code
       and w.changed_at <= p.changed_at and (p.seen_before is null or w.changed_at > p.seen_before)
    group by p.status_change_id
)

select
    h.status_change_id,
    h.ticket_id,
    h.status_code,
    h.changed_at,
    h.author_employee_id,
    h.updated_at,
    coalesce(h.vanished_at, s.superseded_at) as vanished_at,
    greatest(h._last_loaded_at, s.superseded_at) as _last_loaded_at,
    h._max_load_id,
    h.is_approximate
from history as h
left join superseded as s on s.status_change_id = h.status_change_id

union all

select
    w.status_change_id,
    w.ticket_id,
    w.status_code,
    w.changed_at,
    w.author_employee_id,
    w.updated_at,
    case when e.ticket_id is not null then greatest(w._last_loaded_at, e.loaded_at) end as vanished_at,
    greatest(w._last_loaded_at, e.loaded_at) as _last_loaded_at,
    null::bigint as _max_load_id,
    false as is_approximate
from webhook as w
left join exact_history as e on e.ticket_id = w.ticket_id
