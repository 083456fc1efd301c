{{
    config(
        materialized='incremental',
        unique_key='ticket_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        post_hook=["
            delete from {{ this }} as t
            where (t.personnel_no is null or t.is_deleted)
                and t.ticket_id in (
                    select f.ticket_id from {{ ref('fct_tickets') }} as f
                    where ({{ changed_records('f._source_loaded_at') }} or f._source_loaded_at is null)
                        and (f.personnel_no is null or coalesce(f.is_deleted, false))
                )",
                   "{{ record_incremental_run() }}"],
        indexes=[{'columns': ['ticket_id'], 'unique': True}, {'columns': ['open_until', 'created_at']}],
    )
}}
-- reads {{ source('raw_meta', 'loads') }}
-- When each ticket is open, for the load index's complexity_load (mart_engineer_load_index):
-- from creation until the last completion; a ticket not completed (or reopened and not
-- completed again) is open until 'infinity'. One row per assigned, not deleted ticket.
--
-- Why a table of its own: a nightly run of mart_engineer_load_index needs the tickets open at
-- some time in the recomputed periods, i.e. `open_until >= <first recomputed moment>`, an
-- expression fct_tickets has no index for (a sequential scan of 1.4M tickets per grain,
-- 1.1-1.5 s each on `large`). Here it is a column with an index.
--
-- Incremental (delete+insert on ticket_id): the tickets loaded into fct_tickets since this
-- model's last build (changed_records(), docs/incremental.md). A
-- ticket that was deleted or lost its engineer replaces its old row and is then removed by
-- the post-hook.
--
-- The first post-hook removes those rows through the unique ticket_id index, looking only at
-- the tickets of this run's batch (the same changed-record rule as the model's select, rows
-- without a load time too): a `delete ... where personnel_no is null or is_deleted` over the
-- whole table was a sequential scan of ~1.4M rows every night (0.3-0.7 s on `large`) to find
-- a dozen rows. In a hook, is_incremental() is true once the table exists, also right after
-- its first build: there, with no watermark yet, the rule is `_source_loaded_at > -infinity`,
-- i.e. every ticket.
select
    ticket_id,
    personnel_no,
    complexity,
    created_at,
    case
        when status_code in ('completed', 'closed') then coalesce(last_completed_at, completed_at, created_at)
        else 'infinity'::timestamptz
    end as open_until,
    coalesce(is_deleted, false) as is_deleted
from {{ ref('fct_tickets') }}
where {{ changed_records() }}
