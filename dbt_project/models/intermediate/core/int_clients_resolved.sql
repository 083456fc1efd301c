-- Clients across systems, one row per INN: 1C Контрагенты (INN, Ref_Key), help-desk
-- companies (matched in int_helpdesk_companies_matched) and registry sites' client INN.
with

onec as (
    select *, row_number() over (partition by inn order by is_deleted, _last_loaded_at desc, client_ref) as rn
    from {{ ref('stg_onec__clients') }}
    where inn is not null
),

companies as (
    select *, row_number() over (partition by client_inn order by vanished_at nulls first, company_id) as rn
    from {{ ref('int_helpdesk_companies_matched') }}
    where client_inn is not null
),

registry as (
    select client_inn, min(name) as any_site_name
    from {{ ref('stg_registry__sites') }}
    where client_inn is not null
    group by client_inn
),

all_inns as (
    select inn as client_inn from onec
    union
    select client_inn from companies
    union
    select client_inn from registry
)

select
    a.client_inn,
    o.client_ref as onec_ref,
    c.company_id as helpdesk_company_id,
    coalesce(o.name, c.name) as name,
    coalesce(o.is_deleted, false) as onec_is_deleted,
    o.client_ref is not null as in_onec,
    c.company_id is not null as in_helpdesk,
    r.client_inn is not null as in_registry
from all_inns as a
left join onec as o on o.inn = a.client_inn and o.rn = 1
left join companies as c on c.client_inn = a.client_inn and c.rn = 1
left join registry as r on r.client_inn = a.client_inn
