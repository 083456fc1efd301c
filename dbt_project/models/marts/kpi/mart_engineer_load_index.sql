-- Engineer load index per engineer and period, weekly and monthly in one table: `grain`
-- ('week' | 'month') + `period_start`. 100 = as loaded as the team's median engineer.
-- See macros/marts/marts_load_index.sql for the components and the medians.
select * from {{ marts_load_index('month') }} as monthly
union all
select * from {{ marts_load_index('week') }} as weekly
