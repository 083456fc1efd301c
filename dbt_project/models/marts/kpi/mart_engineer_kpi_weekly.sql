{{ config(materialized='view') }}
-- KPI per engineer and ISO week (Monday start, company zone): the week rows of int_kpi__engineer_periods
-- (one incremental model computes both grains).
select * from {{ ref('int_kpi__engineer_periods') }} where grain = 'week'
