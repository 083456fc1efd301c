{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='period_start',
        on_schema_change='append_new_columns',
        post_hook=["delete from {{ this }} where alert_id is null",
                   "{{ record_incremental_run() }}"],
        indexes=[{'columns': ['period_start']}],
    )
}}
-- reads {{ source('raw_meta', 'loads') }}
-- Contracts whose usage reached 80% of the included hours in a month (docs/rules.md): the
-- account manager should offer extra paid hours. One row per contract and month, with the
-- moment the running total of used hours first reached 80% (crossed_80_at) and 100%
-- (crossed_100_at, null if not yet).
--
-- Incremental by month (delete+insert on period_start): a nightly run recomputes the months
-- with a time entry loaded since its last build (int_contracts__time_entries, index on
-- _source_loaded_at) and the months where mart_contract_usage's alert rows differ from the
-- stored ones (a contract changed, an entry vanished, an alert appeared or went away): the
-- running totals are then summed over those months' entries only (index on period_start),
-- not over every entry of three years. A touched month without any alert left comes as one
-- row without alert_id, which replaces the month's old rows and is removed by the post-hook.
{%- set months = none %}
{%- if execute and is_incremental() %}
{%- set q %}
    select distinct period_start::text from {{ ref('int_contracts__time_entries') }}
    where period_start is not null and {{ changed_records() }}
    union
    select coalesce(u.period_start, a.period_start)::text
    from (select * from {{ ref('mart_contract_usage') }} where is_ratio_rated and usage_ratio >= 0.80) as u
    full join {{ this }} as a on a.alert_id = u.row_id
    where u.row_id is null or a.alert_id is null
        or (u.contract_ref, u.client_inn, u.client_name, u.contract_name, u.period_start, u.included_hours,
            u.used_hours, u.usage_ratio, u.traffic_light)
           is distinct from
           (a.contract_ref, a.client_inn, a.client_name, a.contract_name, a.period_start, a.included_hours,
            a.used_hours, a.usage_ratio, a.traffic_light)
{%- endset %}
{%- set months = run_query(q).columns[0].values() | list %}
{%- do log('mart_contract_alerts months: ' ~ months, info=false) %}
{%- endif %}
{%- if months is none %}{% set month_filter = 'true' %}
{%- elif months | length == 0 %}{% set month_filter = 'false' %}
{%- else %}{% set month_filter = "period_start in ('" ~ months | join("'::date, '") ~ "'::date)" %}
{%- endif %}
with

usage as (
    select * from {{ ref('mart_contract_usage') }}
    where is_ratio_rated and usage_ratio >= 0.80 and {{ month_filter }}
),

running as (
    select
        contract_ref,
        period_start,
        logged_at,
        sum(hours) over (
            partition by contract_ref, period_start
            order by logged_at, time_entry_id
            rows between unbounded preceding and current row
        ) as used_so_far
    from {{ ref('int_contracts__time_entries') }}
    where counts_against_included and contract_ref is not null and {{ month_filter }}
),

crossings as (
    select
        running.contract_ref,
        running.period_start,
        min(running.logged_at) filter (where running.used_so_far >= 0.80 * usage.included_hours) as crossed_80_at,
        min(running.logged_at) filter (where running.used_so_far > usage.included_hours) as crossed_100_at
    from running
    join usage using (contract_ref, period_start)
    group by 1, 2
),

alerts as (
select
    usage.row_id as alert_id,
    usage.contract_ref,
    usage.client_inn,
    usage.client_name,
    usage.contract_name,
    usage.period_start,
    usage.included_hours,
    usage.used_hours,
    usage.usage_ratio,
    usage.traffic_light,
    case
        when usage.traffic_light = 'red' then 'Перерасход более 20%: согласовать доплату'
        when usage.usage_ratio > 1 then 'Лимит часов превышен: предложить доп. часы'
        else 'Израсходовано 80% часов: предложить доп. часы'
    end as alert_text,
    crossings.crossed_80_at,
    crossings.crossed_100_at
from usage
left join crossings using (contract_ref, period_start)
)

{%- if months is none %}
select * from alerts
{%- else %}
-- every recomputed month: its alerts, or one row without alert_id (removed by the post-hook)
select
    alerts.alert_id, alerts.contract_ref, alerts.client_inn, alerts.client_name, alerts.contract_name,
    m.period_start, alerts.included_hours, alerts.used_hours, alerts.usage_ratio, alerts.traffic_light,
    alerts.alert_text, alerts.crossed_80_at, alerts.crossed_100_at
from unnest(array[{% for m in months %}'{{ m }}'{% if not loop.last %}, {% endif %}{% endfor %}]::date[]) as m (period_start)
left join alerts on alerts.period_start = m.period_start
{%- endif %}
