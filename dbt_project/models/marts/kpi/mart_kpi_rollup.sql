-- Monthly KPI rolled up from mart_engineer_kpi to team, region and company: one row per
-- (grain, group_key, period_start) with grain in ('team', 'region', 'company'). Counts and
-- hours are sums over the group's engineers; rates are recomputed from the summed
-- numerators and denominators (never averaged). sites_served / equipment_served are sums of
-- the engineers' distinct counts (a site served by two engineers counts twice).
{%- set sums = [
    'closed_tickets', 'weighted_closed', 'resolution_hours_sum', 'sla_resolution_total',
    'sla_resolution_met', 'sla_reaction_total', 'sla_reaction_met', 'hours_worked',
    'shifts_count', 'onsite_hours', 'sites_served', 'equipment_served', 'sites_assigned',
    'fleet_assigned', 'repeated_tickets', 'csat_count', 'low_csat_count',
] %}
with

kpi as (
    select *, csat_avg * csat_count as csat_sum from {{ ref('mart_engineer_kpi') }}
),

grouped as (
    {%- for grain, key, name in [
        ('team', 'team_id::text', 'team_name'),
        ('region', 'region_code', 'region_name'),
        ('company', "'company'", "'Компания'"),
    ] %}
    select
        '{{ grain }}' as grain,
        {{ key }} as group_key,
        max({{ name }}) as group_name,
        period_start,
        count(distinct personnel_no) as engineers_count,
        {%- for c in sums %}
        sum({{ c }}) as {{ c }},
        {%- endfor %}
        sum(csat_sum) as csat_sum,
        bool_or(repeat_share_is_provisional) as repeat_share_is_provisional
    from kpi
    group by 2, period_start
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
)

select
    grain,
    coalesce(group_key, '(не указано)') as group_key,
    group_name,
    period_start,
    engineers_count,
    {%- for c in sums %}
    {{ c }},
    {%- endfor %}
    round(resolution_hours_sum / nullif(closed_tickets, 0), 2) as avg_resolution_hours,
    round(sla_resolution_met::numeric / nullif(sla_resolution_total, 0), 4) as sla_resolution_rate,
    round(sla_reaction_met::numeric / nullif(sla_reaction_total, 0), 4) as sla_reaction_rate,
    round(repeated_tickets::numeric / nullif(closed_tickets, 0), 4) as repeat_share,
    repeat_share_is_provisional,
    round(csat_sum / nullif(csat_count, 0), 2) as csat_avg
from grouped
