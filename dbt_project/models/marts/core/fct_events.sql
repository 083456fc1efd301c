{#-
  Every action as one row: the event catalogue of docs/rules.md. Each entry of
  `event_sources` is one event type: the relation it is read from, a filter, and the SQL
  expressions of the columns it has (missing columns are null). Adding an event type is
  adding an entry (and the staging/intermediate model it reads).

  `source_record_key` names the source record the event derives from (a ticket with its
  status history, a time entry, a shift, a sales document). Incremental runs rebuild every
  record changed since the cutoff (recorded-run cutoff of macros/incremental.sql): a
  pre-hook, in the model's transaction, deletes all events of those records (also when the
  record no longer yields any event: a deleted shift, a deletion-marked invoice) and the
  batch, the current events of the same records, is appended. The pre-hook's record sets
  are the batch's changed_records() predicates on the same relations (transitions carry their
  ticket's _source_loaded_at and completed_at, so the ticket set covers them).
  Until 2026-11-22 the batch carried one `_tombstone` row per changed record instead, for
  dbt's delete+insert on source_record_key, and a post-hook deleted them: ~13k extra rows
  written into six indexes and deleted again each night on large, and a redundant delete.
-#}
{{
    config(
        materialized='incremental', meta={'changed_rows_column': '_source_loaded_at'},
        incremental_strategy='append',
        on_schema_change='append_new_columns',
        pre_hook="{%- if is_incremental() -%}
            delete from {{ this }} where source_record_key in (
                select 'helpdesk:ticket:' || ticket_id from {{ ref('int_tickets_enriched') }}
                where {{ changed_records(money_at='completed_at') }}
                union all
                select 'helpdesk:time_entry:' || time_entry_id from {{ ref('int_time_entries_enriched') }}
                where {{ changed_records(money_at='logged_at') }}
                union all
                select 'schedule:shift:' || shift_id from {{ ref('int_shifts_enriched') }}
                where {{ changed_records(money_at='actual_start') }}
                union all
                select 'onec:sale:' || document_ref from {{ ref('int_sales_enriched') }}
                where {{ changed_records() }})
            {%- endif -%}",
        post_hook=["{{ record_incremental_run() }}"],
        indexes=[
            {'columns': ['event_id'], 'unique': True},
            {'columns': ['source_record_key']},
            {'columns': ['_source_loaded_at']},
            {'columns': ['personnel_no', 'occurred_at']},
            {'columns': ['event_type', 'occurred_at']},
            {'columns': ['occurred_at']},
        ],
    )
}}
-- depends_on: {{ ref('stg_onec__bonus_coefficients') }}
-- depends_on: {{ ref('stg_onec__points_prices') }}
-- depends_on: {{ ref('stg_onec__duty_tariffs') }}
-- depends_on: {{ ref('stg_onec__service_tariffs') }}

{%- set tickets = ref('int_tickets_enriched') -%}
{%- set transitions = ref('int_ticket_transitions_enriched') -%}
{%- set time_entries = ref('int_time_entries_enriched') -%}
{%- set shifts = ref('int_shifts_enriched') -%}
{%- set sales = ref('int_sales_enriched') -%}

{%- set ticket_columns = {
    'record_key': "'helpdesk:ticket:' || ticket_id",
    'personnel_no': 'personnel_no',
    'client_inn': 'client_inn',
    'site_code': 'site_code',
    'equipment_serial': 'equipment_serials[1]',
    'ticket_id': 'ticket_id',
    'work_type': 'work_type',
    'source_system': "'helpdesk'",
    'money_at': 'completed_at',
} -%}

{%- set event_sources = [
    dict(ticket_columns, event_type='ticket_created', relation=tickets,
         where='vanished_at is null',
         source_id='ticket_id', occurred_at='created_at'),
    dict(ticket_columns, event_type='ticket_taken', relation=tickets,
         where='vanished_at is null and taken_at is not null',
         source_id='taken_change_id', occurred_at='taken_at'),
    dict(ticket_columns, event_type='ticket_status_changed', relation=transitions,
         where='ticket_vanished_at is null',
         source_id='status_change_id', occurred_at='changed_at'),
    dict(ticket_columns, event_type='ticket_completed', relation=tickets,
         where='vanished_at is null and completed_at is not null',
         source_id='completion_change_id', occurred_at='completed_at',
         points='completion_points'),
    dict(ticket_columns, event_type='ticket_reopened', relation=transitions,
         where='ticket_vanished_at is null and is_reopen',
         source_id='status_change_id', occurred_at='changed_at'),
    {
        'event_type': 'work_logged', 'relation': time_entries,
        'where': 'not is_deleted',
        'record_key': "'helpdesk:time_entry:' || time_entry_id",
        'source_system': "'helpdesk'", 'source_id': 'time_entry_id',
        'occurred_at': 'logged_at', 'duration_hours': 'hours',
        'personnel_no': 'personnel_no', 'client_inn': 'client_inn', 'site_code': 'site_code',
        'equipment_serial': 'equipment_serials[1]', 'ticket_id': 'ticket_id',
        'work_type': 'work_type', 'cost_rub': 'cost_rub', 'revenue_rub': 'revenue_rub',
        'activity': 'activity', 'money_at': 'logged_at',
    },
    {
        'event_type': 'shift_worked', 'relation': shifts,
        'where': 'not is_deleted and actual_start is not null and actual_end is not null',
        'record_key': "'schedule:shift:' || shift_id",
        'source_system': "'schedule'", 'source_id': 'shift_id',
        'occurred_at': 'actual_start', 'ended_at': 'actual_end', 'duration_hours': 'worked_hours',
        'personnel_no': 'personnel_no', 'cost_rub': 'duty_rate', 'activity': 'shift_type',
        'money_at': 'actual_start',
    },
    {
        'event_type': 'invoice_posted', 'relation': sales,
        'where': 'posted and not deletion_mark and not is_vanished',
        'record_key': "'onec:sale:' || document_ref",
        'source_system': "'onec'", 'source_id': 'document_ref',
        'occurred_at': 'doc_date', 'client_inn': 'client_inn', 'revenue_rub': 'amount',
    },
] -%}

{#- column name -> type of the null it gets when an event type does not have it -#}
{%- set columns = [
    ('occurred_at', 'timestamptz'), ('ended_at', 'timestamptz'), ('duration_hours', 'numeric'),
    ('personnel_no', 'text'), ('client_inn', 'text'), ('site_code', 'text'),
    ('equipment_serial', 'text'), ('ticket_id', 'bigint'), ('work_type', 'text'),
    ('source_system', 'text'), ('source_id', 'text'), ('points', 'numeric'),
    ('cost_rub', 'numeric'), ('revenue_rub', 'numeric'), ('activity', 'text'),
] %}


with

{% for s in event_sources %}
{{ s.event_type }}_events as (
    select
        {{ surrogate_key(["'" ~ s.event_type ~ "'", s.source_system, s.source_id]) }} as event_id,
        '{{ s.event_type }}'::text as event_type,
        {%- for name, type in columns %}
        {%- if name == 'source_id' %}
        ({{ s.source_id }})::text as source_id,
        {%- else %}
        ({{ s.get(name, 'null') }})::{{ type }} as {{ name }},
        {%- endif %}
        {%- endfor %}
        ({{ s.record_key }})::text as source_record_key,
        _source_loaded_at
    from {{ s.relation }}
    where ({{ s.where }})
      and {{ changed_records(money_at=s.get('money_at')) }}
),
{% endfor %}

unioned as (
    {%- for s in event_sources %}
    select * from {{ s.event_type }}_events
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
)

select
    event_id,
    event_type,
    occurred_at,
    ended_at,
    round(coalesce(duration_hours, (extract(epoch from (ended_at) - (occurred_at)) / 3600.0)), 2) as duration_hours,
    personnel_no,
    client_inn,
    site_code,
    equipment_serial,
    ticket_id,
    work_type,
    source_system,
    source_id,
    points,
    cost_rub,
    revenue_rub,
    activity,
    (date_trunc('month', occurred_at at time zone '{{ company_tz() }}'))::date as period_start,
    source_record_key,
    _source_loaded_at
from unioned
