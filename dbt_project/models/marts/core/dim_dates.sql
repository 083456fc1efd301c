{#-
  Calendar days covering the data (company-local, whole years), with month, ISO week and
  weekday.

  Incremental since 2026-11-22: the full build scanned the help-desk issues, the shifts and
  the sales twice each (min and max) every night to find a range that changes once a year
  (1.0 s quiet, 1.6 s in the nightly on large, 2-core shared machine). An incremental run
  derives the new range from the table's range and the records loaded since the cutoff (the
  cutoff of docs/incremental.md, index on _last_loaded_at):
    * the new bounds are the table's bounds widened by the changed records' timestamps;
    * that is exact as long as the first and the last year of the table still hold a record
      (a record not loaded since the cutoff has not moved, so it lies inside the old range):
      two `exists` probes that stop at the first match. If one fails (every record of that
      year moved or vanished), the bounds are recomputed from all records as in a full build.
  The batch holds the days of the new range missing from the table plus one marker row
  (period_start null) per day of the table outside it; a post-hook drops the markers. A
  night whose range did not move writes nothing.
-#}
{{
    config(
        materialized='incremental',
        unique_key='date_day',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        post_hook=["delete from {{ this }} where period_start is null", "{{ record_incremental_run() }}"],
    )
}}
{%- set tz = company_tz() -%}
{%- set issues = ref('stg_helpdesk__issues') -%}
{%- set shifts = ref('stg_schedule__shifts') -%}
{%- set sales = ref('stg_onec__sales') -%}

with

full_bounds as (
    select
        coalesce(least(
            (select min(created_at) from {{ issues }}),
            (select min(planned_start) from {{ shifts }}),
            (select min(doc_date) from {{ sales }})
        ), now()) as first_ts,
        coalesce(greatest(
            (select max(created_at) from {{ issues }}),
            (select max(planned_end) from {{ shifts }}),
            (select max(doc_date) from {{ sales }})
        ), now()) as last_ts
),

{% if is_incremental() %}
{%- set cutoff = cutoff_literal() %}
-- the table's range as company-local instants: [first year start, last year start + 1 year)
old as (
    select
        (min(date_day)::timestamp at time zone '{{ tz }}') as lo,
        (date_trunc('year', max(date_day))::timestamp at time zone '{{ tz }}') as last_year,
        ((max(date_day) + 1)::timestamp at time zone '{{ tz }}') as hi
    from {{ this }}
    where period_start is not null
),

changed as (
    select
        least(
            (select min(created_at) from {{ issues }} where _last_loaded_at >= {{ cutoff }}),
            (select min(planned_start) from {{ shifts }} where _last_loaded_at >= {{ cutoff }}),
            (select min(doc_date) from {{ sales }} where _last_loaded_at >= {{ cutoff }})
        ) as first_ts,
        greatest(
            (select max(created_at) from {{ issues }} where _last_loaded_at >= {{ cutoff }}),
            (select max(planned_end) from {{ shifts }} where _last_loaded_at >= {{ cutoff }}),
            (select max(doc_date) from {{ sales }} where _last_loaded_at >= {{ cutoff }})
        ) as last_ts
),

-- the old first / last year still holds a record (checked on the changed records first)
checks as (
    select
        o.lo, o.hi, c.first_ts, c.last_ts,
        o.lo is not null and (
            c.first_ts < o.lo + interval '1 year'
            or exists (select from {{ issues }} where created_at < o.lo + interval '1 year')
            or exists (select from {{ shifts }} where planned_start < o.lo + interval '1 year')
            or exists (select from {{ sales }} where doc_date < o.lo + interval '1 year')
        ) and (
            c.last_ts >= o.last_year
            or exists (select from {{ issues }} where created_at >= o.last_year)
            or exists (select from {{ shifts }} where planned_end >= o.last_year)
            or exists (select from {{ sales }} where doc_date >= o.last_year)
        ) as range_kept
    from old as o cross join changed as c
),

bounds as (
    select
        case when k.range_kept then least(k.lo, k.first_ts)
             else (select first_ts from full_bounds) end as first_ts,
        case when k.range_kept then greatest(k.hi - interval '1 day', k.last_ts)
             else (select last_ts from full_bounds) end as last_ts
    from checks as k
),
{% else %}
bounds as (
    select * from full_bounds
),
{% endif %}

days as (
    select generate_series(
        date_trunc('year', first_ts at time zone '{{ tz }}')::date,
        (date_trunc('year', last_ts at time zone '{{ tz }}') + interval '1 year - 1 day')::date,
        interval '1 day'
    )::date as date_day
    from bounds
),

calendar as (
    select
        date_day,
        date_trunc('month', date_day)::date as period_start,
        date_trunc('week', date_day)::date as week_start,
        extract(isoyear from date_day)::int as iso_year,
        extract(week from date_day)::int as iso_week,
        extract(isodow from date_day)::int as iso_weekday,
        extract(isodow from date_day) >= 6 as is_weekend,
        extract(year from date_day)::int as year,
        extract(month from date_day)::int as month
    from days
)

{% if is_incremental() %}
select c.* from calendar as c
where not exists (select from {{ this }} as t where t.date_day = c.date_day)
union all
select t.date_day, null::date, null::date, null::int, null::int, null::int, null::boolean, null::int, null::int
from {{ this }} as t
where not exists (select from calendar as c where c.date_day = t.date_day)
{% else %}
select * from calendar
{% endif %}
