{#-
  Bonus amounts per period x engineer x line kind (mart_bonus_lines summed): what the bonus
  big numbers and the «by kind» pie read. The time column of bonus lines is already the
  month (period_start), so this grain answers every period filter exactly.
  A table rebuilt in full: mart_bonus_lines is itself rebuilt every run, and grouping it is
  one sequential scan (seconds on `large`).
-#}
{{
    config(
        materialized='table',
        indexes=[{'columns': ['period_start']}, {'columns': ['personnel_no', 'period_start']}],
    )
}}

select
    period_start,
    personnel_no,
    line_kind,
    sum(amount_rub) as amount_rub,
    sum(points) as points,
    count(*) as lines
from {{ ref('mart_bonus_lines') }}
group by 1, 2, 3
