{#-
  Bonus per engineer and period with its approval status from the approvals page
  (payroll.bonus_approvals): approved (the decision's calc_hash is the current one), stale
  (approved, the calculation changed since), rejected, pending (no decision); and a link to
  the approvals page (APPROVALS_URL when dbt builds this view, as the page is served).
-#}
{%- set approvals_url = env_var('APPROVALS_URL', 'http://127.0.0.1:8090') | trim('/') -%}

select
    s.personnel_no,
    s.period_start,
    s.total_rub,
    s.calc_hash,
    case
        when a.status is null then 'pending'
        when a.status = 'rejected' then 'rejected'
        when s.calc_hash is not distinct from a.calc_hash then 'approved'
        else 'stale'
    end as approval_status,
    case
        when a.status is null then 'ожидает'
        when a.status = 'rejected' then 'отклонена'
        when s.calc_hash is not distinct from a.calc_hash then 'утверждена'
        else 'устарела'
    end as approval_status_ru,
    a.amount_rub as approved_amount_rub,
    a.decided_by,
    a.decided_at,
    {{ to_company_local('a.decided_at') }} as decided_at_local,
    '<a href="{{ approvals_url }}/?period=' || to_char(s.period_start, 'YYYY-MM')
        || '&personnel_no=' || s.personnel_no || '" target="_blank">открыть</a>' as approval_link,
    e.full_name,
    e.team_name,
    e.region_name
from {{ ref('mart_bonus_summary') }} s
left join {{ owned_source('payroll', 'bonus_approvals') }} a
    on a.personnel_no = s.personnel_no and a.period_start = s.period_start
left join {{ ref('dim_engineers') }} e on e.personnel_no = s.personnel_no
