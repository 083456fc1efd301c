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
-- The computation (exact: u is never rounded) is the macro bonus_ticket_points.
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

completed as (
    select tickets.*, completions.event_id as source_event_id
    from tickets
    join completions on completions.ticket_id = tickets.ticket_id
),

-- the points and amount (macros/marts/bonus_ticket_points.sql; the open tickets' value reads it too)
computed as (
    {{ bonus_ticket_points('completed', 't.completed_at',
                           carry=['personnel_no', 'client_inn', 'site_code', 'completed_at',
                                  'source_event_id', '_source_loaded_at']) }}
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
        points,
        amount_rub,
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
