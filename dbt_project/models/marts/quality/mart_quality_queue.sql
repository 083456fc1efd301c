{{ config(indexes=[{'columns': ['completed_at']}]) }}
-- The quality team's queue (docs/marts.md "Service quality"): every ticket the client rated
-- below 3 (csat 1, Okdesk's «плохо»; 3 and 5 are «нормально» and «хорошо»), newest first, with
-- whether the client called again since: a later ticket of the same client created after the
-- rated ticket's last completion (the first such ticket and when). The help desk's rating has no
-- comment field (issues' `rate` carries the value only), so the queue has none.
-- days_since: whole days from the last completion (the rating comes with it) to as_of_date, the
-- company-local day of the newest ticket change in the warehouse (the data's "today").
with

tickets as (
    select * from {{ ref('fct_tickets') }}
    where not coalesce(is_deleted, false)
),

as_of as (
    select (greatest(max(created_at), max(last_completed_at)) at time zone '{{ company_tz() }}')::date as as_of_date
    from tickets
),

rated as (
    select * from tickets
    where csat < 3 and last_completed_at is not null
),

-- per client, its ticket creations and the rated completions in time order (a creation at the
-- very moment of a completion sorts before it: not "since"); the earliest creation after each
-- rated completion, in one ordered pass instead of a lookup per rated ticket
timeline as (
    select client_inn, last_completed_at as at, ticket_id as rated_ticket_id, null::bigint as new_ticket_id
    from rated where client_inn is not null
    union all
    select client_inn, created_at, null, ticket_id
    from tickets where client_inn in (select client_inn from rated)
),

next_call as (
    select
        rated_ticket_id,
        (min(case when new_ticket_id is not null then array[extract(epoch from at)::numeric, new_ticket_id::numeric] end)
            -- the rows after this one, walked backwards: a frame from the partition's start
            -- aggregates incrementally (a frame to its end would re-scan it for every row)
            over (partition by client_inn order by at desc, new_ticket_id is null desc, rated_ticket_id desc
                  rows between unbounded preceding and 1 preceding))[2]::bigint as called_again_ticket_id
    from timeline
)

select
    rated.ticket_id,
    rated.title,
    rated.personnel_no,
    rated.client_inn,
    rated.site_code,
    rated.work_type,
    rated.csat as rating,
    rated.created_at,
    rated.last_completed_at as completed_at,
    as_of.as_of_date,
    as_of.as_of_date - (rated.last_completed_at at time zone '{{ company_tz() }}')::date as days_since,
    next_call.called_again_ticket_id is not null as called_again,
    next_call.called_again_ticket_id,
    again.created_at as called_again_at
from rated
cross join as_of
left join next_call on next_call.rated_ticket_id = rated.ticket_id
left join tickets as again on again.ticket_id = next_call.called_again_ticket_id
