{{
    config(
        materialized='incremental',
        incremental_strategy='marts_delete_insert',
        unique_key=['grain', 'period_start'],
        on_schema_change='append_new_columns',
        post_hook="{{ record_incremental_run() }}",
        indexes=[{'columns': ['grain', 'period_start']}],
    )
}}
-- Engineer load index per engineer and period, weekly and monthly in one table: `grain`
-- ('week' | 'month') + `period_start`. 100 = as loaded as the team's median engineer.
-- See macros/marts/marts_load_index.sql for the components and the medians.
-- Incremental by period (macros/marts/marts_incremental.sql): the periods a changed record
-- can reach are recomputed from the KPI marts' rows of those periods and replaced.
{{ marts_incremental_depends_on() }}
select * from {{ marts_load_index('month') }} as monthly
union all
select * from {{ marts_load_index('week') }} as weekly
