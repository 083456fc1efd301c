{# analysed right away: the models built after it in the same run are planned on its statistics #}
{{ config(post_hook="analyze {{ this }}") }}
-- One row per 1C sales document (all, including unposted and deletion-marked ones).
select
    document_ref,
    number,
    doc_date,
    client_inn,
    contract_ref,
    amount,
    posted,
    deletion_mark,
    client_ref,
    is_vanished
from {{ ref('int_sales_enriched') }}
