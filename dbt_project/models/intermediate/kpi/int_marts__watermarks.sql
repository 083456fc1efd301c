{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        indexes=[{'columns': ['model'], 'unique': True}],
    )
}}
-- What each period-incremental mart saw at its last successful build (one row per model,
-- written by that model's post-hook: macros/marts/marts_incremental.sql). This model only
-- creates the table (no rows of its own); a full refresh empties it, so the next
-- incremental run of each mart recomputes every period.
select
    null::text as model,
    null::timestamptz as loaded_at,
    null::timestamptz as shifts_updated_at,
    null::timestamptz as as_of_at,
    null::text as dims_signature,
    null::timestamptz as saved_at
where false
