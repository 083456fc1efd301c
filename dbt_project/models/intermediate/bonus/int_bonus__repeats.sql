{{
    config(
        materialized='incremental',
        unique_key='ticket_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        indexes=[{'columns': ['ticket_id']}, {'columns': ['repeat_ticket_id']}],
        post_hook=["delete from {{ this }} where repeat_kind is null", "{{ record_incremental_run() }}"],
    )
}}
-- depends_on: {{ ref('stg_onec__bonus_coefficients') }}
-- Every repeat of a completed ticket T1 (docs/rules.md rule 2), one row per repeat event:
--   * a new ticket T2 on the same site, created after T1's (first) completion and within
--     `repeat_window_days` (read at T2's creation) of it, sharing an equipment unit with T1, or
--     with the same work type when T1 has no equipment; T1 is the most recently completed
--     such ticket (ties: the greater ticket id);
--   * a reopen of T1 (fct_events.ticket_reopened) within `repeat_window_days` (read at the
--     reopen) of T1's completion.
-- `is_first_repeat` marks the earliest repeat of each T1 (ties: event id in code-point order):
-- the only one that is penalised. KPI repeat_share also reads this model.
--
-- Incremental (delete+insert by T1 = ticket_id; docs/marts.md "Incremental repeats"): a run
-- recomputes every row of the T1s whose repeats the tickets rebuilt in fct_tickets since the
-- recorded-run cutoff (C; fct_tickets never drops a ticket, a deleted one is flagged) can move:
--   A2 (new tickets whose T1 may move) = C, the T2s recorded for a ticket of C, and the
--      tickets created on the site of a completed ticket of C within the longest window
--      after its completion (C may now be their most recent candidate);
--   A1 (T1s to recompute) = C, the recorded T1 of every ticket of A2, and its T1 now.
-- T2 -> T1 is evaluated afresh in a pool: per site of C and of the recorded partners of C,
-- lo(site) = their earliest creation or completion - the longest window; the tickets
-- created after lo(site) (T2s) and those completed from lo(site) - the longest window (their
-- candidates). Every T2 that names an A1 ticket, before or now, is such a T2. A T1 of A1
-- whose repeats all went gets a marker row (null repeat_kind) so delete+insert clears it;
-- the post-hook deletes the markers. Without a recorded run, or after a change of the 1C
-- bonus coefficients (repeat_window_days), a run recomputes everything. Same rows as a full
-- refresh (tests/marts/test_incremental_repeats.py).
{#- mode: full (a full build, or no recorded run: cutoff -infinity), rebuild (the bonus
    coefficients moved since the cutoff: everything, replacing the table's rows), changes -#}
{%- set cutoff = cutoff_literal() -%}
{%- set mode = 'full' -%}
{%- if is_incremental() and execute -%}
    {%- set q -%}
        select {{ cutoff }} = '-infinity' or exists (
            select 1 from {{ ref('stg_onec__bonus_coefficients') }} where _last_loaded_at >= {{ cutoff }})
    {%- endset -%}
    {%- set mode = 'rebuild' if run_query(q).columns[0].values()[0] else 'changes' -%}
    {%- if mode == 'changes' -%}
        {#- the tickets rebuilt since the cutoff (C) and their recorded partners (either side) -#}
        {%- set changed_sql -%}
            select ticket_id from {{ ref('fct_tickets') }} where _source_loaded_at >= {{ cutoff }}
            union
            -- a reopen event rebuilt since the cutoff (its ticket's status history moved: C already)
            select ticket_id from {{ ref('fct_events') }}
            where _source_loaded_at >= {{ cutoff }} and event_type = 'ticket_reopened' and ticket_id is not null
        {%- endset -%}
        {%- set seeds_sql -%}
            select ticket_id from changed
            union
            select repeat_ticket_id from {{ this }} where ticket_id in (select ticket_id from changed)
            union
            select ticket_id from {{ this }} where repeat_ticket_id in (select ticket_id from changed)
        {%- endset -%}
        {#- the earliest moment a recomputed pair can involve (a literal, so the pool below is
            read through the created_at / completed_at indexes of fct_tickets) -#}
        {%- set q -%}
            with changed as ({{ changed_sql }})
            select coalesce((
                select min(least(t.created_at, t.completed_at))
                       - 2 * (select greatest(coalesce(max(repeat_window_days), 1), 1)
                              from {{ ref('int_bonus__coefficient_sets') }}) * interval '1 day'
                from {{ ref('fct_tickets') }} as t
                where t.ticket_id = any(array({{ seeds_sql }}))), 'infinity'::timestamptz)::text
        {%- endset -%}
        {%- set pool_from = "'" ~ run_query(q).columns[0].values()[0] ~ "'::timestamptz" -%}
    {%- endif -%}
{%- endif %}
with

all_tickets as {% if mode == 'changes' %}not materialized {% endif %}(
    select
        ticket_id,
        created_at,
        completed_at,
        site_code,
        work_type,
        coalesce(equipment_serials, array[]::text[]) as equipment_serials
    from {{ ref('fct_tickets') }}
    where not coalesce(is_deleted, false)
),

coefficient_sets as (
    select valid_from, valid_to, repeat_window_days from {{ ref('int_bonus__coefficient_sets') }}
),

-- Band join: time is cut into buckets as long as the longest repeat window ever in force, so
-- a T1 completed within the window before T2's creation is in T2's bucket or the one before.
-- Joining on (site, bucket) keeps the candidate pairs to the tickets of a site within about
-- two windows of each other instead of every pair of tickets of the site (which grows with
-- the square of the history: 7.1M sorted pairs on demo).
bucket as (
    select greatest(coalesce(max(repeat_window_days), 1), 1) * 86400.0 as seconds
    from coefficient_sets
),

{% if mode == 'changes' %}
changed as materialized (
    {{ changed_sql }}
),

-- the new-ticket pairs recorded before this run
recorded as materialized (
    select ticket_id, repeat_ticket_id from {{ this }} where repeat_kind = 'new_ticket'
),

-- C and its recorded partners (either side), with their current site and moments
seeds as (
    select t.site_code, least(t.created_at, t.completed_at) - bucket.seconds * interval '1 second' as lo
    from {{ ref('fct_tickets') }} as t
    cross join bucket
    where not coalesce(t.is_deleted, false) and t.site_code is not null
      and t.ticket_id = any(array({{ seeds_sql }}))
),

site_lo as (
    select site_code, min(lo) as lo from seeds group by site_code
),

-- the tickets of those sites a recomputed pair can involve: created after lo(site) (T2)
-- or completed from lo(site) - longest window on (T1); one scan of fct_tickets
pool as materialized (
    select t.*, s.lo
    from all_tickets as t
    join site_lo as s on s.site_code = t.site_code
    cross join bucket
    where (t.created_at > s.lo or t.completed_at >= s.lo - bucket.seconds * interval '1 second')
      -- implied by the line above (lo >= pool_from + longest window): lets the planner use the indexes
      and (t.created_at >= {{ pool_from }} or t.completed_at >= {{ pool_from }})
),

t1_pool as (
    select pool.* from pool cross join bucket
    where pool.completed_at >= pool.lo - bucket.seconds * interval '1 second'
),

t2_pool as (
    select pool.* from pool where pool.created_at > pool.lo
),

-- the new tickets whose T1 may move: C, the T2s recorded for a ticket of C, and those
-- created on the site of a completed ticket of C within the longest window after it
a2 as materialized (
    select ticket_id from changed
    union
    select r.repeat_ticket_id from recorded as r where r.ticket_id in (select ticket_id from changed)
    union
    select t.ticket_id
    from pool as x
    cross join bucket
    join pool as t
      on t.site_code = x.site_code
     and t.created_at > x.completed_at
     and t.created_at <= x.completed_at + bucket.seconds * interval '1 second'
    where x.ticket_id in (select ticket_id from changed)
),

-- the T1s to recompute, without the new T1s of A2 (added below, once computed)
a1_seed as materialized (
    select ticket_id from changed
    union
    select r.ticket_id from recorded as r where r.repeat_ticket_id in (select ticket_id from a2)
),
{% else %}
t1_pool as (
    select * from all_tickets
),

t2_pool as (
    select * from all_tickets
),
{% endif %}

completed_t1 as (
    select
        t1_pool.*,
        floor(extract(epoch from t1_pool.completed_at) / bucket.seconds)::bigint as bucket_no
    from t1_pool
    cross join bucket
    where t1_pool.completed_at is not null and t1_pool.site_code is not null
),

created_t2 as (
    select
        t2_pool.*,
        floor(extract(epoch from t2_pool.created_at) / bucket.seconds)::bigint - shift.k as bucket_no
    from t2_pool
    cross join bucket
    cross join (values (0), (1)) as shift (k)
    where t2_pool.site_code is not null
),

new_ticket_candidates as (
    select
        t2.ticket_id as repeat_ticket_id,
        t2.created_at as repeated_at,
        t1.ticket_id,
        t1.completed_at,
        cs.repeat_window_days
    from created_t2 as t2
    join coefficient_sets as cs on {{ in_force('cs', 't2.created_at') }}
    join completed_t1 as t1
        on t1.site_code = t2.site_code
        and t1.bucket_no = t2.bucket_no
        and t1.ticket_id <> t2.ticket_id
        and t1.completed_at < t2.created_at
        and t2.created_at - t1.completed_at <= cs.repeat_window_days * interval '1 day'
        and (
            t1.equipment_serials && t2.equipment_serials
            or (cardinality(t1.equipment_serials) = 0 and t1.work_type = t2.work_type)
        )
),

new_ticket_repeats as {% if mode == 'changes' %}materialized {% endif %}(
    select distinct on (repeat_ticket_id)
        ticket_id,
        repeated_at,
        repeat_ticket_id,
        repeat_window_days
    from new_ticket_candidates
    order by repeat_ticket_id, completed_at desc, ticket_id desc
),

{% if mode == 'changes' %}
a1 as materialized (
    select ticket_id from a1_seed
    union
    select r.ticket_id from new_ticket_repeats as r where r.repeat_ticket_id in (select ticket_id from a2)
),
{% endif %}

reopen_repeats as (
    select
        t1.ticket_id,
        e.occurred_at as repeated_at,
        e.event_id,
        cs.repeat_window_days
    from {{ ref('fct_events') }} as e
    join all_tickets as t1 on t1.ticket_id = e.ticket_id
    join coefficient_sets as cs on {{ in_force('cs', 'e.occurred_at') }}
    where e.event_type = 'ticket_reopened'
        and t1.completed_at is not null
        and e.occurred_at >= t1.completed_at
        and e.occurred_at - t1.completed_at <= cs.repeat_window_days * interval '1 day'
        {%- if mode == 'changes' %}
        and e.ticket_id in (select ticket_id from a1)
        {%- endif %}
),

repeats as (
    select
        r.ticket_id,
        'new_ticket' as repeat_kind,
        r.repeat_ticket_id,
        r.repeated_at,
        -- fct_events.event_id of T2's ticket_created event (same surrogate key)
        {{ surrogate_key(["'ticket_created'", "'helpdesk'", 'r.repeat_ticket_id']) }} as repeat_event_id,
        r.repeat_window_days
    from new_ticket_repeats as r
    {%- if mode == 'changes' %}
    where r.ticket_id in (select ticket_id from a1)
    {%- endif %}
    union all
    select
        ticket_id,
        'reopen' as repeat_kind,
        null::bigint as repeat_ticket_id,
        repeated_at,
        event_id as repeat_event_id,
        repeat_window_days
    from reopen_repeats
),

ranked as (
    select
        repeats.*,
        row_number() over (
            partition by ticket_id order by repeated_at, repeat_event_id collate "C"
        ) = 1 as is_first_repeat
    from repeats
)

select
    ticket_id,
    repeat_kind,
    repeat_ticket_id,
    repeated_at,
    repeat_event_id,
    repeat_window_days,
    is_first_repeat
from ranked
{%- if mode != 'full' %}
union all
-- markers: the recomputed T1s that had rows (delete+insert clears them; the post-hook drops the markers)
select distinct ticket_id, null, null::bigint, null::timestamptz, null, null::numeric, null::boolean
from {{ this }}
{%- if mode == 'changes' %}
where ticket_id in (select ticket_id from a1)
{%- endif %}
{%- endif %}
