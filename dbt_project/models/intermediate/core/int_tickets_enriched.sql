{{
    config(
        materialized='incremental', meta={'changed_rows_column': '_source_loaded_at'},
        unique_key='ticket_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        post_hook="{{ record_incremental_run() }}",
        indexes=[{'columns': ['ticket_id'], 'unique': True}, {'columns': ['_source_loaded_at']},
                 {'columns': ['completed_at']}, {'columns': ['client_inn']}],
    )
}}
-- depends_on: {{ ref('stg_onec__bonus_coefficients') }}
-- depends_on: {{ ref('stg_onec__duty_tariffs') }}
-- depends_on: {{ ref('stg_onec__service_tariffs') }}
-- depends_on: {{ ref('stg_helpdesk__status_changes') }}
-- A table, not a view: facts, events and data-quality marts read it several times.
-- Incremental (docs/incremental.md): a run rebuilds the tickets whose issue, status history,
-- assignee match, company match, help-desk site, resolved site (registry) or equipment was
-- loaded since the cutoff, and (money) those completed on or after the Period of a 1C
-- register row loaded since it. Every input here also moves the ticket's _source_loaded_at,
-- so the facts downstream (changed_records) pick the same tickets up.
-- One row per ticket: the issue, its status history (taken_at, completion, reopens),
-- identities (engineer, client, site, equipment) and the completion points of bonus
-- rule 1 (docs/rules.md), with `_source_loaded_at`: the newest load of anything the row
-- is made of (incremental models reprocess a ticket when it moves).
with

{% if is_incremental() -%}
{%- set cutoff = cutoff_literal() -%}
{%- set rates_from = rates_changed_from() -%}
{%- set issues = ref('stg_helpdesk__issues') -%}
changed as materialized (
    select ticket_id from {{ issues }} where _last_loaded_at >= {{ cutoff }}
    union
    select ticket_id from {{ ref('stg_helpdesk__status_changes') }}
    where _last_loaded_at >= {{ cutoff }} and ticket_id is not null
    union
    select ticket_id from {{ issues }} where assignee_employee_id in (
        select employee_id from {{ ref('int_helpdesk_employees_matched') }} where _loaded_at >= {{ cutoff }})
    union
    select ticket_id from {{ issues }} where company_id in (
        select company_id from {{ ref('int_helpdesk_companies_matched') }} where _loaded_at >= {{ cutoff }})
    union
    select ticket_id from {{ issues }} where site_id in (
        select site_id from {{ ref('stg_helpdesk__sites') }}
        where _last_loaded_at >= {{ cutoff }}
           or site_code in (select site_code from {{ ref('int_sites_resolved') }} where _loaded_at >= {{ cutoff }}))
    union
    select ticket_id from {{ issues }} where equipment_ids && array(
        select equipment_id from {{ ref('stg_helpdesk__equipment') }} where _last_loaded_at >= {{ cutoff }})
    {%- if rates_from %}
    union
    select ticket_id from {{ this }} where completed_at >= {{ rates_from }}
    {%- endif %}
),
{%- endif %}

-- the bonus coefficient register, read once
coefficients as materialized (
    select code, value, valid_from, valid_to from {{ ref('stg_onec__bonus_coefficients') }}
),

points_prices as materialized (
    select work_type, points, valid_from, valid_to from {{ ref('stg_onec__points_prices') }}
),

issues as (
    select * from {{ ref('stg_helpdesk__issues') }}
    {%- if is_incremental() %}
    where ticket_id in (select ticket_id from changed)
    {%- endif %}
),

transitions as (
    select
        ticket_id,
        min(changed_at) filter (where is_first_in_progress) as taken_at,
        min(status_change_id) filter (where is_first_in_progress) as taken_change_id,
        min(changed_at) filter (where is_first_completion) as completed_at,
        min(status_change_id) filter (where is_first_completion) as completion_change_id,
        max(changed_at) filter (where status_code = 'completed') as last_completed_at,
        count(*) filter (where is_reopen) as reopen_count,
        min(changed_at) filter (where is_reopen) as first_reopen_at,
        count(*) as status_change_count,
        max(_last_loaded_at) as _loaded_at
    from {{ ref('int_ticket_status_transitions') }}
    {%- if is_incremental() %}
    where ticket_id in (select ticket_id from changed)
    {%- endif %}
    group by ticket_id
),

equipment as (
    select
        i.ticket_id,
        array_agg(distinct e.serial_number order by e.serial_number)
            filter (where e.serial_number is not null) as equipment_serials,
        count(*) filter (where e.equipment_id is null) as unknown_equipment_count,
        max(e._last_loaded_at) as _loaded_at
    from issues as i
    cross join lateral unnest(i.equipment_ids) as eq (equipment_id)
    left join {{ ref('stg_helpdesk__equipment') }} as e on e.equipment_id = eq.equipment_id
    group by i.ticket_id
),

joined as (
    select
        i.ticket_id,
        i.title,
        i.channel,
        i.created_at,
        t.taken_at,
        t.taken_change_id,
        i.reacted_at,
        t.completed_at,
        t.completion_change_id,
        t.last_completed_at,
        i.reported_completed_at,
        i.deadline_at,
        i.planned_reaction_at,
        i.status_code,
        i.work_type,
        i.priority,
        i.complexity,
        i.is_escalated,
        i.is_vip_contact,
        i.csat,
        coalesce(t.reopen_count, 0) as reopen_count,
        t.first_reopen_at,
        coalesce(t.status_change_count, 0) as status_change_count,
        i.assignee_employee_id,
        em.personnel_no,
        coalesce(i.team_id, em.team_id) as team_id,
        i.company_id,
        cm.client_inn as company_client_inn,
        i.site_id,
        s.site_code,
        coalesce(eq.equipment_serials, '{}'::text[]) as equipment_serials,
        coalesce(eq.unknown_equipment_count, 0) as unknown_equipment_count,
        i.parent_ticket_id,
        i.vanished_at,
        greatest(i._last_loaded_at, t._loaded_at, em._loaded_at, cm._loaded_at,
            s._last_loaded_at, eq._loaded_at, site._loaded_at) as _source_loaded_at,
        coalesce(cm.client_inn, site.client_inn) as client_inn
    from issues as i
    left join transitions as t on t.ticket_id = i.ticket_id
    left join {{ ref('int_helpdesk_employees_matched') }} as em on em.employee_id = i.assignee_employee_id
    left join {{ ref('int_helpdesk_companies_matched') }} as cm on cm.company_id = i.company_id
    left join {{ ref('stg_helpdesk__sites') }} as s on s.site_id = i.site_id
    left join equipment as eq on eq.ticket_id = i.ticket_id
    left join {{ ref('int_sites_resolved') }} as site on site.site_code = s.site_code
),

rule_one as (
    -- bonus rule 1 components, coefficients at completed_at (null when not completed)
    select
        w.*,
        case when w.completed_at is not null then coalesce((
            select pp.points
            from points_prices as pp
            where pp.work_type = w.work_type and {{ in_force('pp', 'w.completed_at') }}
        ), 0) end as base_points,
        case when w.completed_at is not null then
            (select bc.value from coefficients as bc where bc.code = 'complexity_' || coalesce(w.complexity, 2)::text and {{ in_force('bc', 'w.completed_at') }})
        end as complexity_coef,
        case
            when w.completed_at is null then null
            when w.deadline_at is not null and w.completed_at > w.deadline_at
                then (select bc.value from coefficients as bc where bc.code = 'sla_breach_factor' and {{ in_force('bc', 'w.completed_at') }})
            else 1
        end as sla_factor,
        case
            when w.deadline_at is null or w.taken_at is null then 0
            when w.deadline_at <= w.created_at then 1
            else trim_scale(least(1, greatest(0,
                extract(epoch from w.taken_at - w.created_at)
                / extract(epoch from w.deadline_at - w.created_at))))
        end as urgency,
        case when w.completed_at is not null then
            (select bc.value from coefficients as bc where bc.code = 'urgency_weight_max' and {{ in_force('bc', 'w.completed_at') }})
        end as urgency_weight_max,
        case when w.completed_at is not null then
            (select bc.value from coefficients as bc where bc.code = 'escalation_bonus' and {{ in_force('bc', 'w.completed_at') }})
        end as escalation_bonus
    from joined as w
)

select
    r.*,
    case when r.completed_at is not null then trim_scale(
        1 + r.urgency_weight_max * r.urgency
          + r.escalation_bonus * (case when r.is_escalated then 1 else 0 end))
    end as urgency_weight,
    case when r.completed_at is not null then
        round(r.base_points * r.complexity_coef * r.sla_factor
            * (1 + r.urgency_weight_max * r.urgency
                 + r.escalation_bonus * (case when r.is_escalated then 1 else 0 end)), 2)
    end as completion_points,
    case when r.deadline_at is not null and r.completed_at is not null
        then r.completed_at <= r.deadline_at end as sla_resolution_met,
    case
        when r.planned_reaction_at is null then null
        when r.taken_at is not null then r.taken_at <= r.planned_reaction_at
        when r.completed_at is not null or r.status_code in ('completed', 'closed') then false
    end as sla_reaction_met,
    case
        when r.completed_at is not null then coalesce(r.taken_at <= r.completed_at, false)
        else r.taken_at is not null
    end as passed_in_progress
from rule_one as r
