-- Bonus lines with their coefficients as text (a table cell), the line kind's Russian name and
-- the engineer's names.
select
    b.personnel_no,
    b.period_start,
    b.line_kind,
    k.name_ru as line_kind_name,
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
left join {{ ref('dim_codes') }} k on k.domain = 'line_kind' and k.code = b.line_kind
