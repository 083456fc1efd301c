{{ config(materialized='table', indexes=[{'columns': ['site_code'], 'unique': True}],
          post_hook="{{ record_incremental_run() }}") }}
-- post-hook: the incremental models that read this table know when it was built
-- A table, not a view: facts, events and data-quality marts read it several times.
-- Sites across systems, one row per site_code: the registry sheet Объекты and the
-- help-desk maintenance entities (parameter site_code).
with

registry as (
    select * from {{ ref('stg_registry__sites') }}
    where site_code is not null and vanished_at is null
),

helpdesk as (
    select
        s.*,
        cm.client_inn as company_client_inn,
        cm._loaded_at as company_loaded_at,
        row_number() over (partition by s.site_code order by s.vanished_at nulls first, s.site_id) as rn
    from {{ ref('stg_helpdesk__sites') }} as s
    left join {{ ref('int_helpdesk_companies_matched') }} as cm on cm.company_id = s.company_id
    where s.site_code is not null
),

loads as (
    -- every row of the code, vanished ones too: a registry row that disappears or another
    -- help-desk entity taking the code moves the site (incremental models reprocess it)
    select site_code, max(_last_loaded_at) as loaded_at
    from {{ ref('stg_registry__sites') }}
    where site_code is not null
    group by site_code
    union all
    select site_code, max(greatest(_last_loaded_at, company_loaded_at))
    from helpdesk
    group by site_code
),

codes as (
    select site_code from registry
    union
    select site_code from helpdesk
)

select
    c.site_code,
    h.site_id as helpdesk_site_id,
    coalesce(r.client_inn, h.company_client_inn) as client_inn,
    coalesce(r.name, h.name) as name,
    coalesce(r.address, h.address) as address,
    r.region,
    coalesce(r.lat, h.lat) as lat,
    coalesce(r.lon, h.lon) as lon,
    r.area_m2,
    r.engineer_personnel_no as assigned_personnel_no,
    h.timezone,
    r.site_code is not null as in_registry,
    h.site_id is not null as in_helpdesk,
    lo.loaded_at as _loaded_at
from codes as c
left join (select site_code, max(loaded_at) as loaded_at from loads group by site_code) as lo
    on lo.site_code = c.site_code
left join registry as r on r.site_code = c.site_code
left join helpdesk as h on h.site_code = c.site_code and h.rn = 1
