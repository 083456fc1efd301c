-- A table (440 rows on `large`): as a view its per-person shift bounds were recomputed from all
-- 351k schedule shifts by each of its readers and tests (~0.26 s each, four times a night).
{{ config(materialized='table', indexes=[{'columns': ['personnel_no'], 'unique': True}]) }}
-- Every personnel number known to any system (1C, schedule, registry), with the e-mail
-- that 1C and the schedule carry for it. One row per personnel_no.
with

onec as (
    select personnel_no, email_normalized, full_name, department, is_deleted, _last_loaded_at
    from {{ ref('stg_onec__employees') }}
    where personnel_no is not null
),

onec_ranked as (
    -- a personnel number with several 1C cards: the live one wins, then the newest
    select *, row_number() over (
        partition by personnel_no order by is_deleted, _last_loaded_at desc, email_normalized
    ) as rn
    from onec
),

schedule as (
    select
        personnel_no,
        max(email_normalized) as email_normalized,
        min(planned_start) as first_shift_at,
        max(coalesce(actual_end, planned_end)) filter (where not is_deleted) as last_shift_at,
        min(_last_loaded_at) as _first_loaded_at
    from {{ ref('stg_schedule__shifts') }}
    where personnel_no is not null
    group by personnel_no
),

registry as (
    select engineer_personnel_no as personnel_no, min(_last_loaded_at) as _first_loaded_at
    from {{ ref('stg_registry__sites') }}
    where engineer_personnel_no is not null and vanished_at is null
    group by 1
    union all
    select engineer_personnel_no, min(_last_loaded_at)
    from {{ ref('stg_registry__equipment') }}
    where engineer_personnel_no is not null and vanished_at is null
    group by 1
),

all_numbers as (
    select personnel_no from onec
    union
    select personnel_no from schedule
    union
    select personnel_no from registry
)

select
    n.personnel_no,
    o.full_name as onec_full_name,
    o.department as onec_department,
    coalesce(o.is_deleted, false) as onec_is_deleted,
    o.personnel_no is not null as in_onec,
    s.personnel_no is not null as in_schedule,
    coalesce(o.email_normalized, s.email_normalized) as email_normalized,
    s.first_shift_at,
    s.last_shift_at
from all_numbers as n
left join onec_ranked as o on o.personnel_no = n.personnel_no and o.rn = 1
left join schedule as s on s.personnel_no = n.personnel_no
