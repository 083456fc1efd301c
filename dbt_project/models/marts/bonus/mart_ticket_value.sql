{{ config(materialized='view') }}
-- The value of every open ticket assigned to a matched engineer (docs/marts.md "The engineer's
-- live value"), computed at query time as of the live moment (the newest activity of the warehouse, as the KPI marts see it): what bonus rule 1 would pay if the
-- ticket were completed now, at its SLA deadline and just after it, with the ticket's own
-- taken_at (an untaken ticket has urgency 0: the weight is frozen when it is taken). The same
-- macro as the bonus line (bonus_ticket_points), so "now" is the ticket_points line a
-- completion at that moment writes. Open = no completion yet (a reopened ticket already has
-- its line and earns no second one). take_order: the order to take them in (per engineer):
-- the tickets whose deadline is still ahead, nearest deadline first (each late one loses
-- at_stake_rub), then the overdue ones, then those without a deadline, each by value.
with

open_tickets as materialized (
    select
        f.ticket_id,
        f.personnel_no,
        f.client_inn,
        f.site_code,
        f.status_code,
        f.priority,
        f.work_type,
        f.created_at,
        f.taken_at,
        f.deadline_at,
        f.complexity,
        f.is_escalated,
        coalesce(
            -- `set live_value.as_of = '2026-11-20 12:00+03'`: the values as of another moment (support, tests)
            nullif(current_setting('live_value.as_of', true), '')::timestamptz,
            (select as_of_at from {{ marts_activity_bounds() }} as bounds)) as as_of
    from {{ ref('fct_tickets') }} as f
    -- fct_tickets (completed_at) index: the open tickets are a few thousand
    where f.completed_at is null
        and not coalesce(f.is_deleted, false)
        and f.personnel_no is not null
),

now_value as (
    {{ bonus_ticket_points('open_tickets', 't.as_of',
                           carry=['personnel_no', 'client_inn', 'site_code', 'status_code', 'priority', 'as_of']) }}
),

deadline_value as (
    {{ bonus_ticket_points('open_tickets', 't.deadline_at') }}
),

-- a completion one second after the deadline: SLA breached
late_value as (
    {{ bonus_ticket_points('open_tickets', "t.deadline_at + interval '1 second'") }}
),

valued as (
    select
        n.ticket_id,
        n.personnel_no,
        n.client_inn,
        n.site_code,
        n.status_code,
        n.priority,
        n.work_type,
        n.created_at,
        n.taken_at,
        n.deadline_at,
        n.as_of,
        n.deadline_at is not null and n.as_of > n.deadline_at as is_overdue,
        round(extract(epoch from n.deadline_at - n.as_of) / 3600, 2)::numeric(12, 2) as hours_left,
        n.complexity_n,
        n.complexity_coef,
        n.is_escalated,
        n.base_points,
        n.price_points is null as is_unpriced,
        n.sla_factor,
        n.urgency_u,
        n.weight_w,
        n.points_rate_rub,
        n.points as points_now,
        n.amount_rub as value_now_rub,
        (case when n.deadline_at is not null then d.amount_rub end)::numeric(14, 2) as value_at_deadline_rub,
        (case when n.deadline_at is not null then l.amount_rub end)::numeric(14, 2) as value_after_deadline_rub,
        case
            when n.deadline_at is not null and n.as_of <= n.deadline_at then d.amount_rub - l.amount_rub
            else 0
        end::numeric(14, 2) as at_stake_rub
    from now_value as n
    left join deadline_value as d on d.ticket_id = n.ticket_id
    left join late_value as l on l.ticket_id = n.ticket_id
)

select
    valued.*,
    row_number() over (
        partition by personnel_no
        order by
            case when deadline_at is null then 2 when is_overdue then 1 else 0 end,
            case when not is_overdue then deadline_at end,
            value_now_rub desc,
            ticket_id
    ) as take_order
from valued
