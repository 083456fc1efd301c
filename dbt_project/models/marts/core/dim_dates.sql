-- Calendar days covering the data (company-local), with month, ISO week and weekday.
with

bounds as (
    select
        coalesce(least(
            (select min(created_at) from {{ ref('stg_helpdesk__issues') }}),
            (select min(planned_start) from {{ ref('stg_schedule__shifts') }}),
            (select min(doc_date) from {{ ref('stg_onec__sales') }})
        ), now()) as first_ts,
        coalesce(greatest(
            (select max(created_at) from {{ ref('stg_helpdesk__issues') }}),
            (select max(planned_end) from {{ ref('stg_schedule__shifts') }}),
            (select max(doc_date) from {{ ref('stg_onec__sales') }})
        ), now()) as last_ts
),

days as (
    select generate_series(
        date_trunc('year', first_ts at time zone '{{ company_tz() }}')::date,
        (date_trunc('year', last_ts at time zone '{{ company_tz() }}') + interval '1 year - 1 day')::date,
        interval '1 day'
    )::date as date_day
    from bounds
)

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
