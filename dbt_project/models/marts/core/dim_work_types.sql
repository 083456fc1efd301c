{#-
  Work types: the help-desk catalogue codes, plus any code seen in tickets or 1C registers.

  Incremental since 2026-11-22: the table build read the work type of all 1.3M help-desk
  issues every night (2.5 s quiet, 1.5 s in the nightly on large, 2-core shared machine) for
  a set that hardly ever changes. An incremental run takes the codes of the issues loaded
  since the cutoff (cutoff of docs/incremental.md, index on _last_loaded_at),
  the registers and the catalogue (always read whole: a handful of rows), and keeps a code
  already in the table that none of those has only if an issue still carries it (an `exists`
  probe stopping at the first match: an issue not loaded since the cutoff has not changed,
  so its code is in the table). That is the set a full build gives. The batch holds the new
  codes and one marker row (name_ru null) per code to remove; a post-hook drops the markers.
  A night without a new or vanished code writes nothing.
-#}
{{
    config(
        materialized='incremental',
        unique_key='work_type',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        post_hook=["delete from {{ this }} where name_ru is null", "{{ record_incremental_run() }}"],
    )
}}
{%- set issues = ref('stg_helpdesk__issues') -%}
with

catalogue as (
    select * from (values
        ('emergency_repair', 'Аварийный ремонт', 'Emergency repair'),
        ('diagnostics', 'Диагностика', 'Diagnostics'),
        ('maintenance', 'Плановое обслуживание', 'Maintenance'),
        ('installation', 'Монтаж', 'Installation'),
        ('remote_support', 'Удалённая поддержка', 'Remote support'),
        ('consultation', 'Консультация', 'Consultation'),
        ('paid_visit', 'Платный выезд', 'Paid visit')
    ) as c (work_type, name_ru, name_en)
),

{% if is_incremental() %}
{%- set cutoff = cutoff_literal() %}
always as (
    select work_type from {{ issues }}
    where work_type is not null and _last_loaded_at >= {{ cutoff }}
    union
    select work_type from {{ ref('stg_onec__points_prices') }}
    union
    select work_type from {{ ref('stg_onec__service_tariffs') }}
    union
    select work_type from catalogue
),

seen as (
    select work_type from always
    union
    select t.work_type from {{ this }} as t
    where t.name_ru is not null
      and t.work_type not in (select work_type from always where work_type is not null)
      and exists (select from {{ issues }} as i where i.work_type = t.work_type)
),
{% else %}
seen as (
    select work_type from {{ issues }} where work_type is not null
    union
    select work_type from {{ ref('stg_onec__points_prices') }}
    union
    select work_type from {{ ref('stg_onec__service_tariffs') }}
    union
    select work_type from catalogue
),
{% endif %}

dim as (
    select
        s.work_type,
        coalesce(c.name_ru, s.work_type) as name_ru,
        coalesce(c.name_en, s.work_type) as name_en,
        c.work_type is not null as in_catalogue
    from seen as s
    left join catalogue as c on c.work_type = s.work_type
)

{% if is_incremental() %}
select d.* from dim as d
where not exists (select from {{ this }} as t where t.work_type is not distinct from d.work_type)
union all
select t.work_type, null::text, null::text, null::boolean
from {{ this }} as t
where not exists (select from dim as d where d.work_type is not distinct from t.work_type)
{% else %}
select * from dim
{% endif %}
