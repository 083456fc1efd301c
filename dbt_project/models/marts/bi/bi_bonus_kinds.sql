-- Bonus amounts per period x engineer x line kind (pre-aggregated) with the engineer's names.
-- The dimension as a DISTINCT ON subquery: its key is unique, so PostgreSQL drops the join
-- when a query uses no name (a big number reads agg_bonus_monthly alone); dim_codes has a
-- unique index on (domain, code), so its join is dropped the same way.
select
    b.period_start,
    b.personnel_no,
    b.line_kind,
    k.name_ru as line_kind_name,
    b.amount_rub,
    b.points,
    b.lines,
    e.full_name,
    e.team_name,
    e.region_name
from {{ ref('agg_bonus_monthly') }} b
left join (
    select distinct on (personnel_no) personnel_no, full_name, team_name, region_name
    from {{ ref('dim_engineers') }}
    order by personnel_no
) e on e.personnel_no = b.personnel_no
left join {{ ref('dim_codes') }} k on k.domain = 'line_kind' and k.code = b.line_kind
