-- Bonus lines with their coefficients as text (a table cell) and the engineer's names.
select
    b.personnel_no,
    b.period_start,
    b.line_kind,
    b.source_event_id,
    b.ticket_id,
    b.points,
    b.amount_rub,
    b.coefficients::text as coefficients,
    b.explanation,
    e.full_name,
    e.team_name,
    e.region_name
from {{ ref('mart_bonus_lines') }} b
left join {{ ref('dim_engineers') }} e on e.personnel_no = b.personnel_no
