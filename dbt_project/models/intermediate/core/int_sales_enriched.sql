-- 1C sales documents with the client's INN (via the Контрагент reference).
select
    s.document_ref,
    s.number,
    s.doc_date,
    s.client_ref,
    c.inn as client_inn,
    s.contract_ref,
    s.amount,
    s.posted,
    s.deletion_mark,
    s.is_vanished,
    greatest(s._last_loaded_at, c._last_loaded_at) as _source_loaded_at
from {{ ref('stg_onec__sales') }} as s
left join {{ ref('stg_onec__clients') }} as c on c.client_ref = s.client_ref
