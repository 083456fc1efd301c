-- Open tickets and the hours in their current status so far (mart_tickets_stuck) with names,
-- the status in Russian and the moments in company time.
select
    s.ticket_id,
    s.status_code,
    coalesce(st.name_ru, s.status_code) as status_name,
    s.hours_in_current_status,
    s.visits,
    (s.entered_at at time zone '{{ company_tz() }}') as entered_at,
    (s.as_of at time zone '{{ company_tz() }}') as as_of,
    s.personnel_no,
    e.full_name,
    e.team_name,
    s.client_inn,
    c.name as client_name,
    s.work_type,
    coalesce(wt.name_ru, s.work_type) as work_type_name
from {{ ref('mart_tickets_stuck') }} s
left join (select code, name_ru from {{ ref('dim_codes') }} where domain = 'ticket_status') st on st.code = s.status_code
left join (select distinct on (personnel_no) personnel_no, full_name, team_name from {{ ref('dim_engineers') }}) e
    on e.personnel_no = s.personnel_no
left join (select distinct on (client_inn) client_inn, name from {{ ref('dim_clients') }}) c on c.client_inn = s.client_inn
left join (select distinct on (work_type) work_type, name_ru from {{ ref('dim_work_types') }}) wt on wt.work_type = s.work_type
