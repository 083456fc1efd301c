{#-
  Bonus rule 1 (docs/rules.md#bonus) for every row of `tickets` (a relation or CTE with
  ticket_id, work_type, created_at, taken_at, deadline_at, complexity, is_escalated), as if the
  ticket were completed at `completed_at` (an SQL expression over the row, alias t): the 1C
  coefficients and the points price in force at that moment, the ticket's own taken_at.
  The bonus line of a completed ticket (int_bonus__ticket_points, at the first completion) and
  the value of an open ticket (mart_ticket_value, now and at its deadline) both read this one
  select, so they agree to the kopeck. `carry`: more columns of `tickets` passed through.

  Exactness: u = u_num / u_den is never materialised as a rounded decimal; the points are
  round(base x c x s x (span + uwm x elapsed + esc x span) / span, 2) with one division at the
  end, so a product that is exactly half a kopeck rounds away from zero as it should.
-#}
{% macro bonus_ticket_points(tickets, completed_at='t.completed_at', carry=[]) -%}
select
    priced.*,
    priced.u_num / priced.u_den as urgency_u,
    1 + priced.urgency_weight_max * priced.u_num / priced.u_den
      + case when priced.is_escalated then priced.escalation_bonus else 0 end as weight_w,
    round(
        priced.base_points * priced.complexity_coef * priced.sla_factor
        * (priced.u_den + priced.urgency_weight_max * priced.u_num
           + case when priced.is_escalated then priced.escalation_bonus else 0 end * priced.u_den)
        / priced.u_den,
        2
    )::numeric(14, 2) as points,
    round(
        round(
            priced.base_points * priced.complexity_coef * priced.sla_factor
            * (priced.u_den + priced.urgency_weight_max * priced.u_num
               + case when priced.is_escalated then priced.escalation_bonus else 0 end * priced.u_den)
            / priced.u_den,
            2
        ) * priced.points_rate_rub,
        2
    )::numeric(14, 2) as amount_rub
from (
    select
        t.ticket_id,
        {%- for column in carry %}
        t.{{ column }},
        {%- endfor %}
        t.work_type,
        t.created_at,
        t.taken_at,
        t.deadline_at,
        t.complexity,
        coalesce(t.is_escalated, false) as is_escalated,
        ({{ completed_at }}) as priced_at,
        price.points as price_points,
        coalesce(price.points, 0) as base_points,
        -- a missing (or out of range) complexity is taken as 2 (rule 1)
        case when t.complexity between 1 and 5 then t.complexity else 2 end as complexity_n,
        case coalesce(t.complexity, 2)
            when 1 then cs.complexity_1
            when 3 then cs.complexity_3
            when 4 then cs.complexity_4
            when 5 then cs.complexity_5
            else cs.complexity_2
        end as complexity_coef,
        case
            when t.deadline_at is not null and ({{ completed_at }}) > t.deadline_at then cs.sla_breach_factor
            else 1
        end as sla_factor,
        t.deadline_at is not null and ({{ completed_at }}) > t.deadline_at as sla_breached,
        cs.urgency_weight_max,
        cs.escalation_bonus,
        cs.points_rate_rub,
        -- u = u_num / u_den (rule 1)
        case
            when t.deadline_at is null or t.taken_at is null then 0
            when t.deadline_at <= t.created_at then 1
            else least(
                greatest(extract(epoch from t.taken_at - t.created_at), 0),
                extract(epoch from t.deadline_at - t.created_at)
            )
        end as u_num,
        case
            when t.deadline_at is null or t.taken_at is null or t.deadline_at <= t.created_at then 1
            else extract(epoch from t.deadline_at - t.created_at)
        end as u_den
    from {{ tickets }} as t
    left join {{ ref('int_bonus__coefficient_sets') }} as cs on {{ in_force('cs', '(' ~ completed_at ~ ')') }}
    left join lateral (
        select p.points from {{ ref('dim_points_prices') }} as p
        where p.work_type = t.work_type and p.valid_from <= ({{ completed_at }})
        order by p.valid_from desc
        limit 1
    ) as price on true
) as priced
{%- endmacro %}
