-- The grey-zone cases (dq_grey_zones) with the check's Russian name (the data-quality
-- dashboard). dim_codes' unique index on (domain, code) lets PostgreSQL drop the join when a
-- query reads no name (the count of cases).
select
    g.check_name,
    n.name_ru as check_name_ru,
    g.source_system,
    g.source_key,
    g.ticket_id,
    g.personnel_no,
    g.detail
from {{ ref('dq_grey_zones') }} g
left join {{ ref('dim_codes') }} n on n.domain = 'dq_check' and n.code = g.check_name
