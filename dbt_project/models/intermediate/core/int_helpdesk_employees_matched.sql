{{ config(materialized='table', indexes=[{'columns': ['employee_id'], 'unique': True}],
          post_hook="{{ record_incremental_run() }}") }}
-- post-hook: the incremental models that read this table know when it was built
-- A table, not a view: facts, events and data-quality marts read it several times.
-- Help-desk employees have no personnel number: matched by e-mail (case-insensitive)
-- to 1C first, then to the schedule. An e-mail that points at two different personnel
-- numbers in the same system is ambiguous and not matched (listed in data quality).
with

employees as (
    select * from {{ ref('stg_helpdesk__employees') }}
),

onec_pairs as (
    select
        email_normalized,
        min(personnel_no) as personnel_no,
        count(distinct personnel_no) as candidates,
        max(_last_loaded_at) as _loaded_at
    from {{ ref('stg_onec__employees') }}
    where email_normalized is not null and personnel_no is not null and not is_deleted
    group by email_normalized
),

onec_any as (
    -- deletion-marked cards still identify people who left
    select
        email_normalized,
        min(personnel_no) as personnel_no,
        count(distinct personnel_no) as candidates,
        max(_last_loaded_at) as _loaded_at
    from {{ ref('stg_onec__employees') }}
    where email_normalized is not null and personnel_no is not null
    group by email_normalized
),

schedule_pairs as (
    select
        email_normalized,
        min(personnel_no) as personnel_no,
        count(distinct personnel_no) as candidates,
        -- the first load that showed this pairing (new shifts do not move it)
        max(first_loaded) as _loaded_at
    from (
        select email_normalized, personnel_no, min(_last_loaded_at) as first_loaded
        from {{ ref('stg_schedule__shifts') }}
        where email_normalized is not null and personnel_no is not null
        group by 1, 2
    ) as pairs
    group by email_normalized
),

matched as (
    select
        e.employee_id,
        e.email,
        e.email_normalized,
        e.login,
        e.full_name,
        e.team_id,
        e.team_name,
        e.is_active,
        e.vanished_at,
        case
            when o.candidates = 1 then o.personnel_no
            when o.candidates is null and oa.candidates = 1 then oa.personnel_no
            when coalesce(o.candidates, oa.candidates) is null and s.candidates = 1 then s.personnel_no
        end as personnel_no,
        case
            when o.candidates = 1 then 'onec_email'
            when o.candidates is null and oa.candidates = 1 then 'onec_email_deleted_card'
            when coalesce(o.candidates, oa.candidates) is null and s.candidates = 1 then 'schedule_email'
        end as match_method,
        case
            when e.email_normalized is null then 'no e-mail in the help desk'
            when coalesce(o.candidates, oa.candidates, s.candidates) is null then 'e-mail not found in 1C or the schedule'
            when coalesce(o.candidates, oa.candidates, s.candidates) > 1 then 'e-mail maps to several personnel numbers'
        end as unmatched_reason,
        greatest(e._last_loaded_at, o._loaded_at, oa._loaded_at, s._loaded_at) as _loaded_at
    from employees as e
    left join onec_pairs as o on o.email_normalized = e.email_normalized
    left join onec_any as oa on oa.email_normalized = e.email_normalized
    left join schedule_pairs as s on s.email_normalized = e.email_normalized
)

select * from matched
