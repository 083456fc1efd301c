-- Status transitions from the help desk's webhook events (raw_helpdesk.webhook_events, one row
-- per event however often it was delivered): a ticket's creation (`new_ticket`) and each
-- status change (`new_ticket_status`) is one transition into the issue's new status at the
-- event's moment. Exact, unlike the transitions observed by polling (docs/okdesk.md).
-- The id is derived from the event key and lies below -2^62: it can clash neither with a
-- source's own history ids (positive) nor with the polled ones ([-2^62, -1]).
-- A view: stg_helpdesk__status_changes reads it for the tickets a run touches (the issue_id
-- and received_at indexes of the raw table).
with

events as (
    select * from {{ source('raw_helpdesk', 'webhook_events') }}
    where event_type in ('new_ticket', 'new_ticket_status')
      and issue_id is not null and event_at is not null
      and payload -> 'issue' -> 'status' ->> 'code' is not null
)

select
    -4611686018427387904 - ('x' || substr(event_key, 1, 15))::bit(60)::bigint - 1 as status_change_id,
    event_key,
    event_type,
    issue_id as ticket_id,
    payload -> 'issue' -> 'status' ->> 'code' as status_code,
    payload -> 'issue' -> 'old_status' ->> 'code' as previous_status_code,
    event_at as changed_at,
    case when coalesce(payload -> 'event' -> 'author' ->> 'type', 'employee') = 'employee'
         then (payload -> 'event' -> 'author' ->> 'id')::bigint end as author_employee_id,
    event_at as updated_at,
    received_at
from events
