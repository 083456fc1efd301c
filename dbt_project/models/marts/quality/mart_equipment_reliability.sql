-- Equipment reliability per model, manufacturer and site (docs/marts.md "Service quality"),
-- grain in (model, manufacturer, site), group_key / group_name:
--   units             the fleet: equipment units of dim_equipment in the group
--   unit_years        their time in service: from commissioned_on (else the unit's first
--                     ticket) to as_of (the newest ticket's creation), in years of 365.25 days
--   failures          tickets on a unit (fct_tickets.equipment_serials) other than planned work
--                     (maintenance, installation), not deleted; a ticket on two units of the
--                     group counts for each
--   tickets_per_unit_year = failures / unit_years
--   repeat_rate       the share of those failures followed by a repeat (int_bonus__repeats:
--                     a new ticket on the same unit within the repeat window, or a reopen)
--   mtbf_days         mean time between failures: the fleet's days in service / failures
--   last_failure_at   the newest failure's creation
-- personnel_no: the site's assigned engineer on site rows (the engineers' row-level security).
with

as_of as (
    select max(created_at) as as_of from {{ ref('fct_tickets') }}
),

failures as (
    select t.ticket_id, t.created_at, unnest(t.equipment_serials) as serial_number
    from {{ ref('fct_tickets') }} as t
    where not coalesce(t.is_deleted, false)
        and coalesce(t.work_type, '') not in ('maintenance', 'installation')
        and cardinality(t.equipment_serials) > 0
),

repeated as (
    select distinct ticket_id from {{ ref('int_bonus__repeats') }} where repeat_kind is not null
),

units as (
    select
        e.serial_number,
        e.model,
        e.manufacturer,
        e.site_code,
        coalesce(e.commissioned_on::timestamp at time zone '{{ company_tz() }}', min(f.created_at)) as in_service_from,
        count(f.ticket_id) as failures,
        count(f.ticket_id) filter (where r.ticket_id is not null) as repeated_failures,
        max(f.created_at) as last_failure_at
    from {{ ref('dim_equipment') }} as e
    left join failures as f on f.serial_number = e.serial_number
    left join repeated as r on r.ticket_id = f.ticket_id
    group by e.serial_number, e.model, e.manufacturer, e.site_code, e.commissioned_on
),

fleet as (
    select
        units.*,
        greatest(extract(epoch from as_of.as_of - units.in_service_from) / 86400, 0) as days_in_service
    from units
    cross join as_of
),

grouped as (
    select
        case when grouping(model) = 0 then 'model'
             when grouping(manufacturer) = 0 then 'manufacturer' else 'site' end as grain,
        coalesce(model, manufacturer, site_code) as group_key,
        count(*) as units,
        sum(coalesce(days_in_service, 0)) as days_in_service,
        sum(failures) as failures,
        sum(repeated_failures) as repeated_failures,
        max(last_failure_at) as last_failure_at
    from fleet
    group by grouping sets ((model), (manufacturer), (site_code))
)

select
    {{ surrogate_key(['g.grain', 'g.group_key']) }} as row_id,
    g.grain,
    g.group_key,
    case when g.grain = 'site' then coalesce(s.name, g.group_key) else g.group_key end as group_name,
    case when g.grain = 'site' then s.assigned_personnel_no end as personnel_no,
    g.units,
    round(g.days_in_service / 365.25, 2)::numeric(14, 2) as unit_years,
    g.failures,
    round(g.failures / nullif(g.days_in_service / 365.25, 0), 2)::numeric(14, 2) as tickets_per_unit_year,
    round(g.repeated_failures::numeric / nullif(g.failures, 0), 4)::numeric(10, 4) as repeat_rate,
    round(g.days_in_service / nullif(g.failures, 0), 1)::numeric(14, 1) as mtbf_days,
    g.last_failure_at
from grouped as g
left join (select distinct on (site_code) site_code, name, assigned_personnel_no from {{ ref('dim_sites') }}) as s
    on g.grain = 'site' and s.site_code = g.group_key
where g.group_key is not null
