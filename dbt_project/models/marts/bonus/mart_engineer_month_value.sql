{{ config(materialized='view') }}
-- The engineer's month so far (docs/marts.md "The engineer's live value"), one row per active
-- matched engineer for the month of the live moment (the newest activity of the warehouse, as the KPI marts see it): the bonus accrued (mart_bonus_summary of the
-- month), projected to the month's end at the pace of the days worked so far (accrued / days
-- worked x the planned shift days left, from the schedule), the SLA resolution rate and the
-- repeat share (mart_engineer_kpi) against the 1C coefficients in force at the month's last
-- moment (as bonus rule 5 reads them), the distance to the next KPI multiplier and the open
-- tickets' value now (mart_ticket_value).
with

as_of as materialized (
    select
        coalesce(
            -- `set live_value.as_of = '2026-11-20 12:00+03'`: the values as of another moment (support, tests)
            nullif(current_setting('live_value.as_of', true), '')::timestamptz,
            (select as_of_at from {{ marts_activity_bounds() }} as bounds)) as as_of_at
),

month as materialized (
    select
        as_of_at,
        {{ marts_period('as_of_at') }} as period_start,
        {{ marts_period_last_moment(marts_period('as_of_at')) }} as period_end_at,
        ({{ marts_period('as_of_at') }})::timestamp at time zone '{{ company_tz() }}' as period_start_at
    from as_of
),

coefficients as (
    select cs.*
    from {{ ref('int_bonus__coefficient_sets') }} as cs
    cross join month
    where {{ in_force('cs', 'month.period_end_at') }}
),

engineers as (
    select e.personnel_no, e.full_name, e.team_id, e.team_name, e.region_name
    from {{ ref('dim_engineers') }} as e
    cross join month
    where e.personnel_no is not null and (e.left_on is null or e.left_on >= month.period_start)
),

summary as (
    select s.*
    from {{ ref('mart_bonus_summary') }} as s
    join month on month.period_start = s.period_start
),

kpi as (
    select k.*
    from {{ ref('mart_engineer_kpi') }} as k
    join month on month.period_start = k.period_start
),

-- the month's shift days (company-local dates): worked before now, planned from now on
shift_days as (
    select distinct
        s.personnel_no,
        (coalesce(s.actual_start, s.planned_start) at time zone '{{ company_tz() }}')::date as day,
        s.status = 'worked' as is_worked
    from {{ ref('fct_shifts') }} as s
    cross join month
    where not coalesce(s.is_deleted, false)
        and s.personnel_no is not null
        and coalesce(s.actual_start, s.planned_start) >= month.period_start_at
        and coalesce(s.actual_start, s.planned_start) <= month.period_end_at
        and (
            (s.status = 'worked' and coalesce(s.actual_start, s.planned_start) < month.as_of_at)
            or (s.status = 'planned' and s.planned_start >= month.as_of_at)
        )
),

days as (
    select
        personnel_no,
        count(distinct day) filter (where is_worked) as days_worked,
        -- a day already worked is not left, even with another shift planned later that day
        count(distinct day) filter (
            where not is_worked and not exists (
                select 1 from shift_days as w
                where w.personnel_no = shift_days.personnel_no and w.day = shift_days.day and w.is_worked
            )
        ) as days_left
    from shift_days
    group by personnel_no
),

open_value as (
    select personnel_no, count(*) as open_tickets, sum(value_now_rub) as open_value_now_rub
    from {{ ref('mart_ticket_value') }}
    group by personnel_no
),

joined as (
    select
        e.personnel_no,
        e.full_name,
        e.team_id,
        e.team_name,
        e.region_name,
        month.period_start,
        month.as_of_at as as_of,
        coalesce(s.total_rub, 0)::numeric(14, 2) as accrued_rub,
        (coalesce(s.ticket_points_rub, 0) + coalesce(s.repeat_penalty_rub, 0) + coalesce(s.duty_shift_rub, 0)
            + coalesce(s.hourly_work_share_rub, 0))::numeric(14, 2) as base_rub,
        coalesce(s.kpi_multiplier_rub, 0)::numeric(14, 2) as kpi_multiplier_rub,
        coalesce(s.repeat_penalty_rub, 0)::numeric(14, 2) as repeat_penalty_rub,
        coalesce(d.days_worked, 0) as days_worked,
        coalesce(d.days_left, 0) as days_left,
        coalesce(k.closed_tickets, 0) as closed_tickets,
        coalesce(k.sla_resolution_total, 0) as sla_total,
        coalesce(k.sla_resolution_met, 0) as sla_met,
        k.sla_resolution_rate as sla_rate,
        coalesce(k.repeated_tickets, 0) as repeated_tickets,
        k.repeat_share,
        k.repeat_share_is_provisional,
        c.kpi_sla_high_threshold,
        c.kpi_sla_high_multiplier,
        c.kpi_sla_low_threshold,
        c.kpi_sla_low_multiplier,
        c.repeat_window_days,
        c.repeat_penalty_share,
        coalesce(o.open_tickets, 0) as open_tickets,
        coalesce(o.open_value_now_rub, 0)::numeric(14, 2) as open_value_now_rub
    from engineers as e
    cross join month
    left join coefficients as c on true
    left join summary as s on s.personnel_no = e.personnel_no
    left join kpi as k on k.personnel_no = e.personnel_no
    left join days as d on d.personnel_no = e.personnel_no
    left join open_value as o on o.personnel_no = e.personnel_no
),

-- bonus rule 5 on the month so far: the multiplier now and the next one up
kpi_steps as (
    select
        joined.*,
        case
            when sla_total = 0 then 1
            when sla_met >= kpi_sla_high_threshold * sla_total then kpi_sla_high_multiplier
            when sla_met < kpi_sla_low_threshold * sla_total then kpi_sla_low_multiplier
            else 1
        end as multiplier_now,
        case
            when sla_total > 0 and sla_met >= kpi_sla_high_threshold * sla_total then null
            when sla_total > 0 and sla_met < kpi_sla_low_threshold * sla_total then 1
            else kpi_sla_high_multiplier
        end as multiplier_next,
        -- the fewest more tickets in SLA that reach the next threshold: (met + x) / (total + x) >= threshold
        case
            when sla_total > 0 and sla_met >= kpi_sla_high_threshold * sla_total then null
            when sla_total > 0 and sla_met < kpi_sla_low_threshold * sla_total
                then ceil((kpi_sla_low_threshold * sla_total - sla_met) / nullif(1 - kpi_sla_low_threshold, 0))::int
            else greatest(ceil((kpi_sla_high_threshold * sla_total - sla_met)
                               / nullif(1 - kpi_sla_high_threshold, 0))::int, 1)
        end as tickets_to_next,
        -- while at the high multiplier: how many tickets may still break SLA and keep it
        case
            when sla_total > 0 and sla_met >= kpi_sla_high_threshold * sla_total
                then floor(sla_met / kpi_sla_high_threshold - sla_total)::int
        end as breaches_to_keep
    from joined
)

select
    personnel_no,
    full_name,
    team_id,
    team_name,
    region_name,
    period_start,
    as_of,
    accrued_rub,
    base_rub,
    kpi_multiplier_rub,
    days_worked,
    days_left,
    case
        when days_worked > 0 then round(accrued_rub + accrued_rub / days_worked * days_left, 2)
        else accrued_rub
    end::numeric(14, 2) as projected_rub,
    open_tickets,
    open_value_now_rub,
    closed_tickets,
    sla_total,
    sla_met,
    sla_rate,
    kpi_sla_high_threshold,
    kpi_sla_low_threshold,
    kpi_sla_high_multiplier,
    kpi_sla_low_multiplier,
    multiplier_now,
    multiplier_next,
    tickets_to_next,
    breaches_to_keep,
    -- what the next multiplier adds to the month's base lines so far
    case when multiplier_next is not null and base_rub > 0
        then round(base_rub * (multiplier_next - multiplier_now), 2) end::numeric(14, 2) as next_multiplier_gain_rub,
    case
        when multiplier_next is not null then
            'ещё ' || tickets_to_next || ' ' || (case when (tickets_to_next) % 10 = 1 and (tickets_to_next) % 100 <> 11 then 'заявка' when (tickets_to_next) % 10 between 2 and 4 and (tickets_to_next) % 100 not between 12 and 14 then 'заявки' else 'заявок' end)
            || ' в срок — ' || ('×' || replace(to_char(multiplier_next, 'FM990.00'), '.', ','))
            || case when multiplier_now <> 1 then ' вместо ' || ('×' || replace(to_char(multiplier_now, 'FM990.00'), '.', ',')) else '' end
        when breaches_to_keep = 0 then
            ('×' || replace(to_char(multiplier_now, 'FM990.00'), '.', ',')) || ' есть: следующая заявка с нарушением SLA снимет его'
        else
            ('×' || replace(to_char(multiplier_now, 'FM990.00'), '.', ',')) || ' есть: запас — ' || breaches_to_keep || ' '
            || (case when (breaches_to_keep) % 10 = 1 and (breaches_to_keep) % 100 <> 11 then 'заявка' when (breaches_to_keep) % 10 between 2 and 4 and (breaches_to_keep) % 100 not between 12 and 14 then 'заявки' else 'заявок' end) || ' с нарушением SLA'
    end as kpi_next_step,
    repeated_tickets,
    repeat_share,
    repeat_share_is_provisional,
    repeat_penalty_rub,
    repeat_window_days,
    repeat_penalty_share
from kpi_steps
