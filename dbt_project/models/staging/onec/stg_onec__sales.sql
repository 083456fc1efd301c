{{
    config(
        materialized='incremental',
        unique_key='document_ref',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        post_hook="{{ record_incremental_run() }}",
        indexes=[{'columns': ['document_ref'], 'unique': True}, {'columns': ['_last_loaded_at']}, {'columns': ['_max_load_id']}],
    )
}}
-- 1C Document_РеализацияТоваровУслуг: sales (invoices); Date is company-local.
-- Incremental (a table): a run re-reads from raw only the keys with a row of a load started
-- at or after the cutoff (raw_changed_keys, docs/incremental.md).
with

source as (
    select * from {{ latest_version(source('raw_onec', 'sales'), ['ref_key'],
        where=raw_changed_keys(source('raw_onec', 'sales'), 'ref_key')) }} as latest
),

renamed as (
    select
        ref_key::text as document_ref,
        data_version,
        payload ->> 'Number' as number,
        (case
            when nullif(trim((payload ->> 'Date')), '') is null then null
            when left(trim((payload ->> 'Date')), 10) = '0001-01-01' then null
            else {{ local_to_tz("trim(payload ->> 'Date')") }}
        end) as doc_date,
        {{ onec_ref("payload ->> 'Контрагент_Key'") }} as client_ref,
        {{ onec_ref("payload ->> 'Договор_Key'") }} as contract_ref,
        {{ to_numeric("payload ->> 'СуммаДокумента'") }} as amount,
        coalesce({{ to_bool("payload ->> 'Posted'") }}, false) as posted,
        coalesce(deletion_mark, false) as deletion_mark,
        _record_vanished_at is not null as is_vanished,
        _record_vanished_at as vanished_at,
        _last_loaded_at,
        _max_load_id
    from source
)

select * from renamed
