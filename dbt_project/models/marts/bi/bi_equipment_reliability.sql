-- Equipment reliability per model, manufacturer and site (mart_equipment_reliability) with the
-- grain in Russian and the last failure in company time; personnel_no (the site's engineer)
-- only on site rows.
select
    r.row_id,
    r.grain,
    case r.grain when 'model' then 'Модель' when 'manufacturer' then 'Производитель' when 'site' then 'Объект' end as grain_ru,
    r.group_key,
    r.group_name,
    r.personnel_no,
    r.units,
    r.unit_years,
    r.failures,
    r.tickets_per_unit_year,
    r.repeat_rate,
    r.mtbf_days,
    (r.last_failure_at at time zone '{{ company_tz() }}') as last_failure_at
from {{ ref('mart_equipment_reliability') }} r
