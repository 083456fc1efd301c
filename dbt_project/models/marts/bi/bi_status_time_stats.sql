-- Median and p90 hours per status (mart_status_time_stats) with the grain and the status in
-- Russian; personnel_no only on the engineer rows (an engineer sees their own figures).
select
    s.row_id,
    s.period_start,
    s.grain,
    case s.grain when 'work_type' then 'Вид работ' when 'team' then 'Команда' when 'engineer' then 'Инженер' end as grain_ru,
    s.group_key,
    s.group_name,
    s.personnel_no,
    s.status_code,
    coalesce(st.name_ru, s.status_code) as status_name,
    s.tickets,
    s.median_hours,
    s.p90_hours
from {{ ref('mart_status_time_stats') }} s
left join (select code, name_ru from {{ ref('dim_codes') }} where domain = 'ticket_status') st on st.code = s.status_code
