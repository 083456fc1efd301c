-- The quality team's queue (mart_quality_queue) with the engineer's, client's and work type's
-- names, the rating and the called-again flag in Russian, and the moments in company time.
select
    q.ticket_id,
    q.title,
    q.personnel_no,
    e.full_name,
    e.team_name,
    e.region_name,
    q.client_inn,
    c.name as client_name,
    q.site_code,
    q.work_type,
    coalesce(wt.name_ru, q.work_type) as work_type_name,
    q.rating,
    case q.rating when 1 then 'плохо' when 3 then 'нормально' when 5 then 'хорошо' end as rating_ru,
    (q.completed_at at time zone '{{ company_tz() }}') as completed_at,
    q.days_since,
    q.called_again,
    case when q.called_again then 'да' else 'нет' end as called_again_ru,
    q.called_again_ticket_id,
    (q.called_again_at at time zone '{{ company_tz() }}') as called_again_at
from {{ ref('mart_quality_queue') }} q
left join (select distinct on (personnel_no) personnel_no, full_name, team_name, region_name from {{ ref('dim_engineers') }}) e
    on e.personnel_no = q.personnel_no
left join (select distinct on (client_inn) client_inn, name from {{ ref('dim_clients') }}) c on c.client_inn = q.client_inn
left join (select distinct on (work_type) work_type, name_ru from {{ ref('dim_work_types') }}) wt on wt.work_type = q.work_type
