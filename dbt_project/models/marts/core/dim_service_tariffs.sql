-- Effective-dated 1C register: the value in force at t is the row with
-- valid_from <= t < coalesce(valid_to, 'infinity') (valid_to = the next Period).
select
    work_type, client_rate, engineer_cost,
    valid_from,
    valid_to
from {{ ref('stg_onec__service_tariffs') }}
