-- The clients the dashboards' client filter lists.
select
    client_inn,
    name as client_name
from {{ ref('dim_clients') }}
