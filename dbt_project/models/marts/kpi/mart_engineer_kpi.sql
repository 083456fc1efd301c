{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='period_start',
        on_schema_change='append_new_columns',
        post_hook="{{ record_incremental_run() }}",
        indexes=[{'columns': ['period_start', 'personnel_no']}],
    )
}}
-- KPI per engineer and calendar month (metrics.md "KPIs"); see macros/marts/marts_engineer_kpi.sql.
-- Incremental by period: only the periods a changed record can reach are recomputed and
-- replaced (macros/marts/marts_incremental.sql; a full refresh recomputes all of them).
{{ marts_incremental_depends_on() }}
{{ marts_engineer_kpi('month') }}
