-- Records whose engineer, client, site or equipment could not be matched across systems
-- (docs/rules.md "Identity"). Nothing is dropped from the dims and facts; this lists what
-- failed, with the money the record carries where there is one (money_rub):
--   help-desk employees: the ticket_points amounts (bonus rule 1) of their completed tickets;
--   clients / companies: posted sales (1C) or hourly-work revenue (help desk).
with

-- the bonus coefficient register, read once
coefficients as materialized (
    select code, value, valid_from, valid_to from {{ ref('stg_onec__bonus_coefficients') }}
),

-- Key lists of the staging views, computed once. The staging views (latest version per key)
-- are estimated at one row, so a correlated `not exists` against them became a nested loop
-- re-running the view per outer row (quadratic: 8.6 s of 11 s on demo, hours on large).
-- `not in (select ... materialized CTE)` with nulls removed is a hashed subplan: linear.
-- Each staging view (latest version per key: a sort of the whole raw table) is read once.
registry_sites as materialized (
    select site_code, engineer_personnel_no, client_inn, vanished_at from {{ ref('stg_registry__sites') }}
),

registry_equipment_rows as materialized (
    select serial_number, site_code, engineer_personnel_no, vanished_at from {{ ref('stg_registry__equipment') }}
),

helpdesk_sites_rows as materialized (
    select site_id, site_code, vanished_at from {{ ref('stg_helpdesk__sites') }}
),

onec_inns as materialized (
    select inn from {{ ref('stg_onec__clients') }} where inn is not null
),

registry_site_codes as materialized (
    select site_code from registry_sites
    where vanished_at is null and site_code is not null
),

registry_serials as materialized (
    select serial_number from registry_equipment_rows
    where vanished_at is null and serial_number is not null
),

identities as materialized (
    select personnel_no, in_onec, in_schedule from {{ ref('int_engineer_identities') }}
),

helpdesk_site_ids as materialized (
    select site_id from helpdesk_sites_rows where site_id is not null
),

unmatched_employee_ids as materialized (
    select employee_id from {{ ref('int_helpdesk_employees_matched') }} where personnel_no is null
),

unmatched_company_ids as materialized (
    select company_id from {{ ref('int_helpdesk_companies_matched') }}
    where unmatched_reason is not null and vanished_at is null
),

-- the tickets any check below reads: those of an unmatched employee or company, and those
-- whose service object is unknown. int_tickets_enriched takes assignee_employee_id, company_id,
-- site_id and vanished_at from stg_helpdesk__issues and site_code from stg_helpdesk__sites by
-- site_id, so the candidates are found on stg_helpdesk__issues' indexes (assignee, company,
-- site) and the predicate is then applied to int_tickets_enriched as before: 18 thousand index
-- lookups instead of a sequential scan of 1.3 million tickets (this CTE alone on large_kept,
-- 2026-11-22, 2-core shared machine: 1.0-1.9 s -> 0.33-0.86 s; same rows).
issue_site_ids as materialized (
    -- the distinct site_ids of the tickets: a loose scan of the site_id index
    with recursive r as (
        (select site_id from {{ ref('stg_helpdesk__issues') }} where site_id is not null order by site_id limit 1)
        union all
        select (select i.site_id from {{ ref('stg_helpdesk__issues') }} as i
                where i.site_id > r.site_id order by i.site_id limit 1)
        from r where r.site_id is not null
    )
    select site_id from r where site_id is not null
),

candidate_tickets as materialized (
    select ticket_id from {{ ref('stg_helpdesk__issues') }}
    where assignee_employee_id = any(array(select employee_id from unmatched_employee_ids))
    union
    select ticket_id from {{ ref('stg_helpdesk__issues') }}
    where company_id = any(array(select company_id from unmatched_company_ids))
    union
    -- site_code is null when the site is not in the help-desk catalogue or has no code there
    select ticket_id from {{ ref('stg_helpdesk__issues') }}
    where site_id = any(array(
        select site_id from issue_site_ids
        where site_id not in (select site_id from helpdesk_sites_rows
                              where site_code is not null and site_id is not null)))
),

tickets as materialized (
    select t.ticket_id, t.assignee_employee_id, t.company_id, t.completed_at, t.completion_points,
        t.site_id, t.site_code, t.vanished_at
    from {{ ref('int_tickets_enriched') }} as t
    where t.ticket_id = any(array(select ticket_id from candidate_tickets))
      and (t.assignee_employee_id in (select employee_id from unmatched_employee_ids)
           or t.company_id in (select company_id from unmatched_company_ids)
           or (t.site_id is not null and t.site_code is null and t.vanished_at is null))
),

-- money per record, aggregated once (not per row)
points_money as (
    select
        t.assignee_employee_id,
        sum(round(t.completion_points
            * (select bc.value from coefficients as bc where bc.code = 'points_rate_rub' and {{ in_force('bc', 't.completed_at') }}), 2)) as money_rub
    from tickets as t
    where t.completed_at is not null
      and t.assignee_employee_id in (select employee_id from unmatched_employee_ids)
    group by t.assignee_employee_id
),

duty_money as (
    select personnel_no, sum(duty_rate) as money_rub
    from {{ ref('int_shifts_enriched') }}
    where not is_deleted
      and personnel_no in (select personnel_no from identities where in_schedule and not in_onec)
    group by personnel_no
),

company_money as (
    select t.company_id, sum(te.revenue_rub) as money_rub
    from {{ ref('int_time_entries_enriched') }} as te
    join tickets as t on t.ticket_id = te.ticket_id
    where not te.is_deleted
      and t.company_id in (select company_id from unmatched_company_ids)
    group by t.company_id
),

client_sales as (
    select client_ref, sum(amount) as money_rub
    from {{ ref('stg_onec__sales') }}
    where posted and not deletion_mark
    group by client_ref
),

employees as (
    select
        'helpdesk' as source_system,
        'engineer' as entity,
        em.employee_id::text as source_key,
        em.unmatched_reason as reason,
        pm.money_rub
    from {{ ref('int_helpdesk_employees_matched') }} as em
    left join points_money as pm on pm.assignee_employee_id = em.employee_id
    where em.personnel_no is null and em.vanished_at is null
),

schedule_people as (
    select
        'schedule', 'engineer', i.personnel_no, 'personnel number not in 1C',
        dm.money_rub
    from identities as i
    left join duty_money as dm on dm.personnel_no = i.personnel_no
    where i.in_schedule and not i.in_onec
),

registry_people as (
    select 'registry', 'engineer', r.engineer_personnel_no,
        'engineer of site ' || r.site_code || ': personnel number unknown to 1C and the schedule',
        null::numeric
    from registry_sites as r
    left join identities as i on i.personnel_no = r.engineer_personnel_no
    where r.engineer_personnel_no is not null and r.vanished_at is null
      and not coalesce(i.in_onec or i.in_schedule, false)
    union all
    select 'registry', 'engineer', r.engineer_personnel_no,
        'engineer of unit ' || r.serial_number || ': personnel number unknown to 1C and the schedule',
        null::numeric
    from registry_equipment_rows as r
    left join identities as i on i.personnel_no = r.engineer_personnel_no
    where r.engineer_personnel_no is not null and r.vanished_at is null
      and not coalesce(i.in_onec or i.in_schedule, false)
),

companies as (
    select 'helpdesk', 'client', c.company_id::text, c.unmatched_reason,
        cm.money_rub
    from {{ ref('int_helpdesk_companies_matched') }} as c
    left join company_money as cm on cm.company_id = c.company_id
    where c.unmatched_reason is not null and c.vanished_at is null
),

onec_clients as (
    select 'onec', 'client', c.client_ref, 'no INN in 1C',
        cs.money_rub
    from {{ ref('stg_onec__clients') }} as c
    left join client_sales as cs on cs.client_ref = c.client_ref
    where c.inn is null and not c.is_deleted
),

sales as (
    select 'onec', 'client', s.document_ref, 'sales document of an unknown client (Контрагент_Key)',
        case when s.posted and not s.deletion_mark then s.amount end
    from {{ ref('int_sales_enriched') }} as s
    where s.client_inn is null and not s.is_vanished
),

registry_clients as (
    select 'registry', 'client', r.site_code, 'client INN ' || r.client_inn || ' of the site unknown to 1C', null::numeric
    from registry_sites as r
    where r.client_inn is not null and r.vanished_at is null
      and r.client_inn not in (select inn from onec_inns)
),

helpdesk_sites as (
    select 'helpdesk', 'site', s.site_id::text,
        case when s.site_code is null then 'no site_code parameter'
             else 'site_code ' || s.site_code || ' not in the registry' end,
        null::numeric
    from helpdesk_sites_rows as s
    where s.vanished_at is null
      and (s.site_code is null or s.site_code not in (select site_code from registry_site_codes))
),

ticket_sites as (
    select 'helpdesk', 'site', 'ticket ' || t.ticket_id, 'service object ' || t.site_id || ' unknown to the help-desk catalogue', null::numeric
    from tickets as t
    where t.site_id is not null and t.site_code is null and t.vanished_at is null
      and t.site_id not in (select site_id from helpdesk_site_ids)
),

helpdesk_equipment as (
    select 'helpdesk', 'equipment', e.equipment_id::text,
        case when e.serial_number is null then 'no serial number'
             else 'serial ' || e.serial_number || ' not in the registry' end,
        null::numeric
    from {{ ref('stg_helpdesk__equipment') }} as e
    where e.vanished_at is null
      and (e.serial_number is null or e.serial_number not in (select serial_number from registry_serials))
),

registry_equipment as (
    select 'registry', 'site', r.serial_number, 'site ' || coalesce(r.site_code, '(empty)') || ' of the unit not in the registry', null::numeric
    from registry_equipment_rows as r
    where r.vanished_at is null
      and (r.site_code is null or r.site_code not in (select site_code from registry_site_codes))
),

unioned as (
    select * from employees
    union all select * from schedule_people
    union all select * from registry_people
    union all select * from companies
    union all select * from onec_clients
    union all select * from sales
    union all select * from registry_clients
    union all select * from helpdesk_sites
    union all select * from ticket_sites
    union all select * from helpdesk_equipment
    union all select * from registry_equipment
)

select
    source_system,
    entity,
    source_key,
    reason,
    money_rub
from unioned
