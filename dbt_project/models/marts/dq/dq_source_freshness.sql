-- Per source and entity: the last successful load, the newest record timestamp the
-- source reported (where it has one) and how many records were rejected in all.
with

loads as (
    select
        source,
        entity,
        max(coalesce(finished_at, started_at)) filter (where error is null) as last_loaded_at,
        max(coalesce(finished_at, started_at)) as last_attempt_at,
        count(*) as load_count,
        sum(coalesce(rows_rejected, 0)) as rows_rejected_in_loads
    from {{ ref('stg_meta__loads') }}
    group by source, entity
),

rejects as (
    select source_system as source, entity, count(*) as rows_rejected
    from {{ ref('stg_meta__rejects') }}
    group by 1, 2
),

records as (
    select 'helpdesk' as source, 'issues' as entity, max(updated_at) as last_record_at from {{ ref('stg_helpdesk__issues') }}
    union all select 'helpdesk', 'status_history', max(updated_at) from {{ ref('stg_helpdesk__status_changes') }}
    union all select 'helpdesk', 'time_entries', max(updated_at) from {{ ref('stg_helpdesk__time_entries') }}
    union all select 'schedule', 'shifts', max(updated_at) from {{ ref('stg_schedule__shifts') }}
    union all select 'onec', 'sales', max(doc_date) from {{ ref('stg_onec__sales') }}
),

keys as (
    select source, entity from loads
    union
    select source, entity from rejects
)

select
    k.source,
    k.entity,
    l.last_loaded_at,
    r.last_record_at,
    coalesce(j.rows_rejected, 0) as rows_rejected,
    l.last_attempt_at,
    coalesce(l.load_count, 0) as load_count
from keys as k
left join loads as l on l.source = k.source and l.entity = k.entity
left join rejects as j on j.source = k.source and j.entity = k.entity
left join records as r on r.source = k.source and r.entity = k.entity
