-- Help-desk companies matched to clients: by INN (parameter `inn`), else by crm_1c_id
-- (= 1C Ref_Key of the client's card). A company that matches neither is listed in
-- data quality; a company whose INN 1C does not know keeps that INN.
with

onec as (
    select * from {{ ref('stg_onec__clients') }}
),

companies as (
    select * from {{ ref('stg_helpdesk__companies') }}
),

matched as (
    select
        c.company_id,
        c.name,
        c.is_active,
        c.inn as helpdesk_inn,
        c.crm_1c_id,
        coalesce(c.inn, o.inn) as client_inn,
        case
            when c.inn is not null and exists (select 1 from onec as x where x.inn = c.inn) then 'inn'
            when o.inn is not null then 'crm_1c_id'
        end as match_method,
        case
            when c.inn is null and o.inn is null then 'no INN and no matching crm_1c_id'
            when not exists (select 1 from onec as x where x.inn = coalesce(c.inn, o.inn)) then 'INN not found in 1C'
        end as unmatched_reason,
        c.vanished_at,
        greatest(c._last_loaded_at, o._last_loaded_at) as _loaded_at
    from companies as c
    left join onec as o on o.client_ref = c.crm_1c_id
)

select * from matched
