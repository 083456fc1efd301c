{{
    config(
        materialized='incremental',
        unique_key='ticket_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        post_hook=["delete from {{ this }} where period_start is null and source_event_id is null",
                   "{{ record_incremental_run() }}"],
        indexes=[{'columns': ['ticket_id'], 'unique': True}, {'columns': ['_source_loaded_at']},
                 {'columns': ['period_start']}],
    )
}}
-- depends_on: {{ ref('stg_onec__bonus_coefficients') }}
-- depends_on: {{ ref('stg_onec__points_prices') }}
-- depends_on: {{ ref('stg_onec__duty_tariffs') }}
-- depends_on: {{ ref('stg_onec__service_tariffs') }}
-- reads {{ source('raw_meta', 'loads') }}
-- Rule 1 (docs/rules.md): one ticket_points line per completed ticket, every coefficient at
-- completed_at (the FIRST completion). Kept for every ticket, matched or not, so data quality
-- can show the money an unmatched engineer would carry; the mart keeps matched ones.
--
-- Exactness: u = elapsed / span is never materialised as a rounded decimal; the points are
-- round(base x c x s x (span + uwm x elapsed + esc x span) / span, 2) with one division at
-- the end, so a product that is exactly half a kopeck rounds away from zero as it should.
--
-- Incremental (delete+insert on ticket_id): a run recomputes the tickets loaded into
-- fct_tickets since this model's last build (changed_records(), docs/incremental.md), and those
-- completed on or after the Period of a 1C coefficient / price row loaded since then. A
-- changed ticket that no longer earns (deleted, completion gone) comes as a row without
-- source_event_id, which replaces the old row and is then removed by the post-hook (found
-- through the period_start index: such a row has no period either; `where source_event_id is
-- null` alone was a sequential scan of every ticket, 0.7 s a night on `large`).
with

changed as (
    select * from {{ ref('fct_tickets') }}
    where {{ changed_records(money_at='completed_at') }}
),

tickets as (
    -- tickets deleted from the help desk earn nothing (they have no events either)
    select * from changed where completed_at is not null and not coalesce(is_deleted, false)
),

completions as (
    select distinct on (ticket_id) ticket_id, event_id
    from {{ ref('fct_events') }}
    where event_type = 'ticket_completed'
    {%- if is_incremental() %}
        and source_record_key in (select 'helpdesk:ticket:' || ticket_id from tickets)
    {%- endif %}
    order by ticket_id, occurred_at, event_id collate "C"
),

coefficient_sets as (
    select * from {{ ref('int_bonus__coefficient_sets') }}
),

priced as (
    select
        tickets.ticket_id,
        tickets.personnel_no,
        tickets.client_inn,
        tickets.site_code,
        tickets.work_type,
        tickets.created_at,
        tickets.taken_at,
        tickets.completed_at,
        tickets.deadline_at,
        tickets.complexity,
        coalesce(tickets.is_escalated, false) as is_escalated,
        tickets._source_loaded_at,
        completions.event_id as source_event_id,
        price.points as price_points,
        coalesce(price.points, 0) as base_points,
        -- a missing (or out of range) complexity is taken as 2 (rule 1)
        case when tickets.complexity between 1 and 5 then tickets.complexity else 2 end as complexity_n,
        case coalesce(tickets.complexity, 2)
            when 1 then cs.complexity_1
            when 3 then cs.complexity_3
            when 4 then cs.complexity_4
            when 5 then cs.complexity_5
            else cs.complexity_2
        end as complexity_coef,
        case
            when tickets.deadline_at is not null and tickets.completed_at > tickets.deadline_at
                then cs.sla_breach_factor
            else 1
        end as sla_factor,
        tickets.deadline_at is not null and tickets.completed_at > tickets.deadline_at as sla_breached,
        cs.urgency_weight_max,
        cs.escalation_bonus,
        cs.points_rate_rub,
        -- u = u_num / u_den (rule 1)
        case
            when tickets.deadline_at is null or tickets.taken_at is null then 0
            when tickets.deadline_at <= tickets.created_at then 1
            else least(
                greatest(extract(epoch from tickets.taken_at - tickets.created_at), 0),
                extract(epoch from tickets.deadline_at - tickets.created_at)
            )
        end as u_num,
        case
            when tickets.deadline_at is null or tickets.taken_at is null or tickets.deadline_at <= tickets.created_at then 1
            else extract(epoch from tickets.deadline_at - tickets.created_at)
        end as u_den
    from tickets
    join completions on completions.ticket_id = tickets.ticket_id
    left join coefficient_sets as cs on {{ in_force('cs', 'tickets.completed_at') }}
    left join lateral (
        select p.points from {{ ref('dim_points_prices') }} as p
        where p.work_type = tickets.work_type and p.valid_from <= tickets.completed_at
        order by p.valid_from desc
        limit 1
    ) as price on true
),

computed as (
    select
        priced.*,
        u_num / u_den as urgency_u,
        1 + urgency_weight_max * u_num / u_den
          + case when is_escalated then escalation_bonus else 0 end as weight_w,
        round(
            base_points * complexity_coef * sla_factor
            * (u_den + urgency_weight_max * u_num + case when is_escalated then escalation_bonus else 0 end * u_den)
            / u_den,
            2
        ) as points
    from priced
),

final as (
    select
        ticket_id,
        personnel_no,
        client_inn,
        site_code,
        work_type,
        created_at,
        taken_at,
        completed_at,
        deadline_at,
        complexity,
        complexity_n,
        is_escalated,
        sla_breached,
        source_event_id,
        {{ marts_period('completed_at') }} as period_start,
        price_points is null as is_unpriced,
        base_points,
        complexity_coef,
        sla_factor,
        urgency_u,
        urgency_weight_max,
        escalation_bonus,
        weight_w,
        points_rate_rub,
        points::numeric(14, 2) as points,
        round(points * points_rate_rub, 2)::numeric(14, 2) as amount_rub,
        _source_loaded_at
    from computed
)

select * from final
{%- if is_incremental() %}
union all
-- changed tickets that earn nothing any more: replace the old row, then removed (post-hook)
select
    changed.ticket_id, null, null, null, null, null, null, null, null, null, null, null, null,
    null, null, null, null, null, null, null, null, null, null, null, null, null,
    changed._source_loaded_at
from changed
where not exists (select 1 from final where final.ticket_id = changed.ticket_id)
{%- endif %}
