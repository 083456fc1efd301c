{{ config(materialized='table') }}
-- Every repeat of a completed ticket T1 (metrics.md rule 2), one row per repeat event:
--   * a new ticket T2 on the same site, created after T1's (first) completion and within
--     `repeat_window_days` (read at T2's creation) of it, sharing an equipment unit with T1, or
--     with the same work type when T1 has no equipment; T1 is the most recently completed
--     such ticket (ties: the greater ticket id);
--   * a reopen of T1 (fct_events.ticket_reopened) within `repeat_window_days` (read at the
--     reopen) of T1's completion.
-- `is_first_repeat` marks the earliest repeat of each T1 (ties: event id in code-point order):
-- the only one that is penalised. KPI repeat_share also reads this model.
with

tickets as (
    select
        ticket_id,
        created_at,
        completed_at,
        site_code,
        work_type,
        coalesce(equipment_serials, array[]::text[]) as equipment_serials
    from {{ ref('fct_tickets') }}
    where not coalesce(is_deleted, false)
),

events as (
    select event_id, event_type, ticket_id, occurred_at
    from {{ ref('fct_events') }}
    where event_type = 'ticket_reopened'
),

coefficient_sets as (
    select valid_from, valid_to, repeat_window_days from {{ ref('int_bonus__coefficient_sets') }}
),

-- Band join: time is cut into buckets as long as the longest repeat window ever in force, so
-- a T1 completed within the window before T2's creation is in T2's bucket or the one before.
-- Joining on (site, bucket) keeps the candidate pairs to the tickets of a site within about
-- two windows of each other instead of every pair of tickets of the site (which grows with
-- the square of the history: 7.1M sorted pairs on demo).
bucket as (
    select greatest(coalesce(max(repeat_window_days), 1), 1) * 86400.0 as seconds
    from coefficient_sets
),

completed_t1 as (
    select
        tickets.*,
        floor(extract(epoch from tickets.completed_at) / bucket.seconds)::bigint as bucket_no
    from tickets
    cross join bucket
    where tickets.completed_at is not null and tickets.site_code is not null
),

created_t2 as (
    select
        tickets.*,
        floor(extract(epoch from tickets.created_at) / bucket.seconds)::bigint - shift.k as bucket_no
    from tickets
    cross join bucket
    cross join (values (0), (1)) as shift (k)
    where tickets.site_code is not null
),

new_ticket_candidates as (
    select
        t2.ticket_id as repeat_ticket_id,
        t2.created_at as repeated_at,
        t1.ticket_id,
        t1.completed_at,
        cs.repeat_window_days
    from created_t2 as t2
    join coefficient_sets as cs on {{ marts_in_force('cs', 't2.created_at') }}
    join completed_t1 as t1
        on t1.site_code = t2.site_code
        and t1.bucket_no = t2.bucket_no
        and t1.ticket_id <> t2.ticket_id
        and t1.completed_at < t2.created_at
        and t2.created_at - t1.completed_at <= cs.repeat_window_days * interval '1 day'
        and (
            t1.equipment_serials && t2.equipment_serials
            or (cardinality(t1.equipment_serials) = 0 and t1.work_type = t2.work_type)
        )
),

new_ticket_repeats as (
    select distinct on (repeat_ticket_id)
        ticket_id,
        repeated_at,
        repeat_ticket_id,
        repeat_window_days
    from new_ticket_candidates
    order by repeat_ticket_id, completed_at desc, ticket_id desc
),

reopen_repeats as (
    select
        t1.ticket_id,
        e.occurred_at as repeated_at,
        e.event_id,
        cs.repeat_window_days
    from events as e
    join tickets as t1 on t1.ticket_id = e.ticket_id
    join coefficient_sets as cs on {{ marts_in_force('cs', 'e.occurred_at') }}
    where t1.completed_at is not null
        and e.occurred_at >= t1.completed_at
        and e.occurred_at - t1.completed_at <= cs.repeat_window_days * interval '1 day'
),

repeats as (
    select
        r.ticket_id,
        'new_ticket' as repeat_kind,
        r.repeat_ticket_id,
        r.repeated_at,
        -- fct_events.event_id of T2's ticket_created event (same surrogate key)
        {{ surrogate_key(["'ticket_created'", "'helpdesk'", 'r.repeat_ticket_id']) }} as repeat_event_id,
        r.repeat_window_days
    from new_ticket_repeats as r
    union all
    select
        ticket_id,
        'reopen' as repeat_kind,
        null::bigint as repeat_ticket_id,
        repeated_at,
        event_id as repeat_event_id,
        repeat_window_days
    from reopen_repeats
),

ranked as (
    select
        repeats.*,
        row_number() over (
            partition by ticket_id order by repeated_at, repeat_event_id collate "C"
        ) = 1 as is_first_repeat
    from repeats
)

select
    ticket_id,
    repeat_kind,
    repeat_ticket_id,
    repeated_at,
    repeat_event_id,
    repeat_window_days,
    is_first_repeat
from ranked
