-- mart_bonus_summary.total_rub equals the sum of its lines, for every row (and every
-- engineer-period with lines has a summary row).
with line_totals as (
    select personnel_no, period_start, sum(amount_rub) as lines_rub, count(*) as n
    from {{ ref('mart_bonus_lines') }}
    group by 1, 2
)
select
    coalesce(s.personnel_no, l.personnel_no) as personnel_no,
    coalesce(s.period_start, l.period_start) as period_start,
    s.total_rub,
    l.lines_rub
from {{ ref('mart_bonus_summary') }} as s
full join line_totals as l on l.personnel_no = s.personnel_no and l.period_start = s.period_start
where s.total_rub is distinct from l.lines_rub
