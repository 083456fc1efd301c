{{
    config(
        materialized='incremental', meta={'changed_rows_column': '_source_loaded_at'},
        unique_key='shift_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        post_hook="{{ record_incremental_run() }}",
        indexes=[{'columns': ['shift_id'], 'unique': True}, {'columns': ['_source_loaded_at']},
                 {'columns': ['actual_start']}],
    )
}}
-- depends_on: {{ ref('stg_onec__bonus_coefficients') }}
-- depends_on: {{ ref('stg_onec__points_prices') }}
-- depends_on: {{ ref('stg_onec__service_tariffs') }}
-- A table, not a view: facts, events and data-quality marts read it several times.
-- Incremental (docs/incremental.md): shifts loaded since the cutoff, and shifts worked on or
-- after the Period of a 1C register row loaded since it (deleted shifts stay, flagged).
-- Shifts with hours and the duty rate in force at the actual start (duty shifts only).
with

shifts as (
    select * from {{ ref('stg_schedule__shifts') }} as s
    {%- if is_incremental() %}
    where {{ changed_records('s._last_loaded_at', money_at='s.actual_start') }}
    {%- endif %}
)

select
    s.shift_id,
    s.personnel_no,
    s.email,
    s.shift_type,
    s.planned_start,
    s.planned_end,
    s.actual_start,
    s.actual_end,
    s.status,
    round((extract(epoch from (s.planned_end) - (s.planned_start)) / 3600.0), 2) as planned_hours,
    round((extract(epoch from (s.actual_end) - (s.actual_start)) / 3600.0), 2) as worked_hours,
    s.shift_type like 'duty%' as is_duty,
    s.is_deleted,
    case when s.shift_type like 'duty%' and s.status = 'worked' then dt.rate end as duty_rate,
    s.updated_at,
    s._last_loaded_at as _source_loaded_at
from shifts as s
left join {{ ref('stg_onec__duty_tariffs') }} as dt
    on dt.shift_type = s.shift_type and {{ in_force('dt', 's.actual_start') }}
