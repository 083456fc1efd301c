-- Rejected source records of every source (the data-quality dashboard's list), with the
-- Russian name of the reason's kind (dim_codes) and the times in the company's zone.
select
    r.source_system,
    r.entity,
    r.source_key,
    r.reason,
    r.reason_code,
    coalesce(rc.name_ru, r.reason_code) as reason_name,
    r.reason_field,
    r.raw_text,
    r._loaded_at,
    {{ to_company_local('r._loaded_at') }} as loaded_at_local
from {{ ref('stg_meta__rejects') }} r
left join {{ ref('dim_codes') }} rc on rc.domain = 'reject_reason' and rc.code = r.reason_code
