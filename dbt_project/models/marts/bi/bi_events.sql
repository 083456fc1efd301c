-- Every event with the Russian names of its type and work type and the names the filters use (the manager's event list, recent first: an
-- ORDER BY occurred_at DESC LIMIT reads the index on fct_events.occurred_at, not the table).
select
    ev.event_id,
    ev.event_type,
    t.name_ru as event_type_name,
    ev.occurred_at,
    {{ to_company_local('ev.occurred_at') }} as occurred_at_local,
    ev.duration_hours,
    ev.personnel_no,
    ev.client_inn,
    ev.site_code,
    ev.equipment_serial,
    ev.ticket_id,
    ev.work_type,
    w.name_ru as work_type_name,
    ev.source_system,
    ev.points,
    ev.cost_rub,
    ev.revenue_rub,
    e.full_name,
    e.team_name,
    e.region_name,
    c.name as client_name
from {{ ref('fct_events') }} ev
left join {{ ref('dim_engineers') }} e on e.personnel_no = ev.personnel_no
left join {{ ref('dim_clients') }} c on c.client_inn = ev.client_inn
left join {{ ref('dim_codes') }} t on t.domain = 'event_type' and t.code = ev.event_type
left join (
    select distinct on (work_type) work_type, name_ru
    from {{ ref('dim_work_types') }}
    order by work_type
) w on w.work_type = ev.work_type
