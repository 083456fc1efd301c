-- 1C service contracts (latest version), with the client's INN.
select
    c.contract_ref,
    cl.inn as client_inn,
    c.client_ref,
    c.code,
    c.name,
    c.start_date,
    c.end_date,
    c.monthly_fee,
    c.included_hours,
    c.overage_rate,
    c.sla_level,
    c.is_deleted
from {{ ref('stg_onec__contracts') }} as c
left join {{ ref('stg_onec__clients') }} as cl on cl.client_ref = c.client_ref
