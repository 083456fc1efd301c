-- The open tickets stuck longest in their current status now: the current visit of every
-- ticket not completed or closed (mart_ticket_status_time.is_current), its hours so far
-- (to as_of, the newest status change in the warehouse) and how many times the ticket has been
-- in that status (a reopened ticket back in progress: visits 2).
select
    ticket_id,
    status_code,
    current_visit_hours as hours_in_current_status,
    visits,
    last_entered_at as entered_at,
    as_of,
    personnel_no,
    team_id,
    work_type,
    client_inn,
    created_at
from {{ ref('mart_ticket_status_time') }}
where is_current and status_code not in ('completed', 'closed')
