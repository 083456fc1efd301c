-- Median and 90th percentile of the time tickets spent in each status (mart_ticket_status_time:
-- a ticket's hours over all its visits of the status), per month of the ticket's creation and
-- per work type, team (the engineer's) and engineer: grain in (work_type, team, engineer),
-- group_key / group_name. personnel_no is set on the engineer rows only (the engineers'
-- row-level security shows them their own figures). Final statuses (completed, closed) are
-- left out: a ticket waits for nothing there.
with

spans as (
    select s.*, e.team_id as engineer_team_id, e.team_name, e.full_name
    from {{ ref('mart_ticket_status_time') }} as s
    left join {{ ref('dim_engineers') }} as e on e.personnel_no = s.personnel_no
    where s.status_code not in ('completed', 'closed')
),

grouped as (
    select
        period_start,
        case when grouping(work_type) = 0 then 'work_type'
             when grouping(engineer_team_id) = 0 then 'team' else 'engineer' end as grain,
        coalesce(work_type, engineer_team_id::text, personnel_no) as group_key,
        case when grouping(personnel_no) = 0 then personnel_no end as personnel_no,
        status_code,
        count(*) as tickets,
        percentile_cont(0.5) within group (order by hours_in_status) as median_hours,
        percentile_cont(0.9) within group (order by hours_in_status) as p90_hours
    from spans
    group by grouping sets (
        (period_start, status_code, work_type),
        (period_start, status_code, engineer_team_id),
        (period_start, status_code, personnel_no)
    )
)

select
    {{ surrogate_key(['g.period_start', 'g.grain', 'g.group_key', 'g.status_code']) }} as row_id,
    g.period_start,
    g.grain,
    g.group_key,
    case g.grain
        when 'work_type' then coalesce(wt.name_ru, g.group_key)
        when 'team' then coalesce(tm.team_name, g.group_key)
        else coalesce(en.full_name, g.group_key)
    end as group_name,
    g.personnel_no,
    g.status_code,
    g.tickets,
    round(g.median_hours::numeric, 2)::numeric(14, 2) as median_hours,
    round(g.p90_hours::numeric, 2)::numeric(14, 2) as p90_hours
from grouped as g
left join {{ ref('dim_work_types') }} as wt on g.grain = 'work_type' and wt.work_type = g.group_key
left join (select distinct on (team_id) team_id::text as team_id, team_name from {{ ref('dim_engineers') }}
           where team_id is not null order by team_id, team_name) as tm
    on g.grain = 'team' and tm.team_id = g.group_key
left join (select distinct on (personnel_no) personnel_no, full_name from {{ ref('dim_engineers') }}) as en
    on g.grain = 'engineer' and en.personnel_no = g.group_key
where g.group_key is not null
