-- Rejected source records of every source (the data-quality dashboard's list).
select
    source_system,
    entity,
    source_key,
    reason,
    raw_text,
    _loaded_at
from {{ ref('stg_meta__rejects') }}
