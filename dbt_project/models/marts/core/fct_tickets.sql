{{
    config(
        materialized='incremental', meta={'changed_rows_column': '_source_loaded_at'},
        unique_key='ticket_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        post_hook="{{ record_incremental_run() }}",
        indexes=[{'columns': ['ticket_id'], 'unique': True}, {'columns': ['personnel_no', 'completed_at']},
                 {'columns': ['_source_loaded_at']}, {'columns': ['completed_at']},
                 {'columns': ['created_at']}],
    )
}}
-- depends_on: {{ ref('stg_onec__bonus_coefficients') }}
-- depends_on: {{ ref('stg_onec__points_prices') }}
-- depends_on: {{ ref('stg_onec__duty_tariffs') }}
-- depends_on: {{ ref('stg_onec__service_tariffs') }}
-- One row per ticket (help-desk issue). completed_at = the FIRST change to completed in
-- the status history (a reopen does not move it); taken_at = the first change to
-- in_progress; a reopen = completed/closed -> opened/in_progress/delayed.
-- Incremental: tickets whose issue, status history or identities were loaded within the
-- lookback window (var lookback_days) are rebuilt whole; a full refresh gives the same rows.
with

tickets as (
    select * from {{ ref('int_tickets_enriched') }}
    where {{ changed_records(money_at='completed_at') }}
)

select
    ticket_id,
    created_at,
    taken_at,
    reacted_at,
    completed_at,
    last_completed_at,
    deadline_at,
    planned_reaction_at,
    status_code,
    work_type,
    priority,
    complexity,
    is_escalated,
    csat,
    reopen_count,
    first_reopen_at,
    assignee_employee_id,
    personnel_no,
    team_id,
    client_inn,
    site_code,
    equipment_serials,
    sla_resolution_met,
    sla_reaction_met,
    passed_in_progress,
    title,
    channel,
    company_id,
    site_id,
    is_vip_contact,
    parent_ticket_id,
    reported_completed_at,
    status_change_count,
    base_points,
    complexity_coef,
    sla_factor,
    urgency,
    urgency_weight,
    completion_points,
    vanished_at is not null as is_deleted,
    _source_loaded_at
from tickets
