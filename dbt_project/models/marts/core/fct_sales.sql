{{ config(post_hook="{{ analyze_if_new() }}") }}
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
