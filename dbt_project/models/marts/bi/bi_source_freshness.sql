-- Per source and entity: the last load, the newest record and the rejects (dq_source_freshness),
-- with both times in the company's zone for the data-quality table.
select
    source,
    entity,
    last_loaded_at,
    {{ to_company_local('last_loaded_at') }} as last_loaded_at_local,
    last_record_at,
    {{ to_company_local('last_record_at') }} as last_record_at_local,
    rows_rejected
from {{ ref('dq_source_freshness') }}
