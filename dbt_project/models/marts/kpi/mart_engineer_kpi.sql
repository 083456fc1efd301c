{{ config(materialized='view') }}
-- KPI per engineer and calendar month: the month rows of int_kpi__engineer_periods
-- (one incremental model computes both grains).
select * from {{ ref('int_kpi__engineer_periods') }} where grain = 'month'
