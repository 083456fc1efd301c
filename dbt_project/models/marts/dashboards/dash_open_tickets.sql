{#-
  The tickets still open (fct_tickets.completed_at is null), with the columns of the
  engineer's «upcoming» list: a few thousand rows instead of a scan of every ticket.
  Incremental (delete+insert by ticket_id): every ticket rebuilt in fct_tickets since this
  table's previous build (recorded-run cutoff, macros/incremental.sql) is re-read; the post-hook drops those that are now completed.
-#}
{{
    config(
        materialized='incremental',
        unique_key='ticket_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        post_hook=["delete from {{ this }} where completed_at is not null", "{{ record_incremental_run() }}"],
        indexes=[{'columns': ['ticket_id'], 'unique': True}, {'columns': ['personnel_no', 'deadline_at']},
                 {'columns': ['deadline_at']}],
    )
}}

select
    ticket_id,
    created_at,
    deadline_at,
    completed_at,
    status_code,
    work_type,
    priority,
    personnel_no,
    client_inn,
    site_code,
    is_deleted,
    _source_loaded_at
from {{ ref('fct_tickets') }}
{%- if is_incremental() %}
where _source_loaded_at >= {{ cutoff_literal() }}
{%- else %}
where completed_at is null
{%- endif %}
