{#-
  Incremental (delete+insert on shift_id) since 2026-11-22: a table rebuild copied all 351k
  shifts and rebuilt its four indexes every night (4.0 s in the nightly on large, 2-core
  shared machine). A row here is a projection of int_shifts_enriched, whose rows are rebuilt
  exactly when their shift was loaded since the cutoff or (money) worked on or after the
  Period of a changed register row (changed_records, docs/incremental.md); the same
  predicate on its _source_loaded_at / actual_start picks them up here. int_shifts_enriched
  never drops a shift (deleted ones stay, flagged is_deleted), so delete+insert leaves no
  stale row.
-#}
{{ config(materialized='incremental',
          unique_key='shift_id',
          incremental_strategy='delete+insert',
          on_schema_change='append_new_columns',
          post_hook="{{ record_incremental_run() }}",
          indexes=[{'columns': ['shift_id'], 'unique': True}, {'columns': ['planned_start']},
                   {'columns': ['personnel_no', 'planned_start']},
                   {'columns': ['status', 'planned_start']},
                   {'columns': ['status', '(coalesce(actual_start, planned_start))']},
                   {'columns': ['_source_loaded_at']}]) }}
-- depends_on: {{ ref('stg_onec__bonus_coefficients') }}
-- depends_on: {{ ref('stg_onec__points_prices') }}
-- depends_on: {{ ref('stg_onec__duty_tariffs') }}
-- depends_on: {{ ref('stg_onec__service_tariffs') }}
-- (status, planned_start): the engineers' «planned shifts» list, recent-first by status
-- (242 -> 7 ms on the large world)
-- (status, coalesce(actual_start, planned_start)): the marts' activity bounds (max/min of the
-- worked shifts, run ~18 times a night: a 351k-row scan each, 74 ms -> 0.7 ms) and the KPI
-- marts' shifts of the recomputed periods; (_source_loaded_at): the changed shifts that
-- touch a period mart's periods (macros/marts/marts_incremental.sql)
-- One row per schedule shift (deleted ones kept, flagged is_deleted).
select
    shift_id,
    personnel_no,
    shift_type,
    planned_start,
    planned_end,
    actual_start,
    actual_end,
    status,
    planned_hours,
    worked_hours,
    is_duty,
    is_deleted,
    duty_rate,
    email,
    updated_at,
    _source_loaded_at
from {{ ref('int_shifts_enriched') }}
{%- if is_incremental() %}
where {{ changed_records(money_at='actual_start') }}
{%- endif %}
