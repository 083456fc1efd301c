{{ config(indexes=[{'columns': ['client_inn'], 'unique': True}]) }}
-- Clients: one row per INN (1C, help desk, registry).
select
    client_inn,
    onec_ref,
    helpdesk_company_id,
    name,
    onec_is_deleted,
    in_onec,
    in_helpdesk,
    in_registry
from {{ ref('int_clients_resolved') }}
