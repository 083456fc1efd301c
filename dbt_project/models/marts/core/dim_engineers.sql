{{ config(indexes=[{'columns': ['personnel_no'], 'unique': True}]) }}
-- Engineers: one row per personnel number known to 1C, the schedule or the registry,
-- with the help-desk account matched by e-mail. Team = the help-desk group; region = the
-- part of the team (else 1C department) name before ':' ('Москва: выездная группа 1' ->
-- 'Москва'), else the most common registry region of the sites assigned to the team,
-- else to the engineer. No source serves a region code: region_code = region_name.
-- hired_on / left_on: first and (for people no longer active) last shift, company-local.
with

identities as (
    select * from {{ ref('int_engineer_identities') }}
),

helpdesk as (
    select
        *,
        row_number() over (
            partition by personnel_no order by is_active desc, vanished_at nulls first, employee_id
        ) as rn
    from {{ ref('int_helpdesk_employees_matched') }}
    where personnel_no is not null
),

base as (
    select
        i.personnel_no,
        h.employee_id as helpdesk_employee_id,
        h.login,
        coalesce(h.email, i.email_normalized) as email,
        coalesce(i.onec_full_name, h.full_name) as full_name,
        h.team_id,
        h.team_name,
        i.first_shift_at,
        i.last_shift_at,
        (not i.onec_is_deleted and coalesce(h.is_active, true) and h.vanished_at is null) as is_active,
        i.onec_department,
        i.in_onec,
        i.in_schedule
    from identities as i
    left join helpdesk as h on h.personnel_no = i.personnel_no and h.rn = 1
),

site_regions as (
    select b.personnel_no, b.team_id, s.region
    from base as b
    join {{ ref('int_sites_resolved') }} as s on s.assigned_personnel_no = b.personnel_no
    where s.region is not null
),

team_region as (
    select team_id, mode() within group (order by region) as region
    from site_regions
    where team_id is not null
    group by team_id
),

own_region as (
    select personnel_no, mode() within group (order by region) as region
    from site_regions
    group by personnel_no
)

select
    b.personnel_no,
    b.helpdesk_employee_id,
    b.login,
    b.email,
    b.full_name,
    b.team_id,
    b.team_name,
    coalesce(nullif(trim(case when strpos(b.team_name, ':') > 0 then split_part(b.team_name, ':', 1) end), ''), nullif(trim(case when strpos(b.onec_department, ':') > 0 then split_part(b.onec_department, ':', 1) end), ''), tr.region, o.region) as region_code,
    coalesce(nullif(trim(case when strpos(b.team_name, ':') > 0 then split_part(b.team_name, ':', 1) end), ''), nullif(trim(case when strpos(b.onec_department, ':') > 0 then split_part(b.onec_department, ':', 1) end), ''), tr.region, o.region) as region_name,
    (b.first_shift_at at time zone '{{ company_tz() }}')::date as hired_on,
    case when not b.is_active then (b.last_shift_at at time zone '{{ company_tz() }}')::date end as left_on,
    b.is_active,
    b.onec_department,
    b.in_onec,
    b.in_schedule
from base as b
left join team_region as tr on tr.team_id = b.team_id
left join own_region as o on o.personnel_no = b.personnel_no
