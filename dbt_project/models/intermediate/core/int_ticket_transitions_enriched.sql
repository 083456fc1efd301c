-- meta.changed_rows_column: a transition loaded since the cutoff moves its ticket's
-- _source_loaded_at, so nightly data tests read the changed rows (macros/data_test_scope.sql)
{{ config(meta={'changed_rows_column': '_source_loaded_at'}) }}
-- Status transitions with the attributes of their ticket (engineer, client, site, ...).
select
    tr.status_change_id,
    tr.ticket_id,
    tr.status_code,
    tr.previous_status,
    tr.changed_at,
    tr.author_employee_id,
    tr.is_first_in_progress,
    tr.is_first_completion,
    tr.is_reopen,
    t.personnel_no,
    t.client_inn,
    t.site_code,
    t.equipment_serials,
    t.work_type,
    t.completed_at,
    t.vanished_at as ticket_vanished_at,
    t._source_loaded_at
from {{ ref('int_ticket_status_transitions') }} as tr
join {{ ref('int_tickets_enriched') }} as t on t.ticket_id = tr.ticket_id
