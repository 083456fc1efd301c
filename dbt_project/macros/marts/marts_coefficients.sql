{#- The 1C coefficient codes the marts read (metrics.md "Bonus", "Engineer load index").
    int_bonus__coefficient_sets pivots them into one column each. -#}
{% macro marts_coefficient_codes() -%}
    {{ return([
        'points_rate_rub',
        'complexity_1', 'complexity_2', 'complexity_3', 'complexity_4', 'complexity_5',
        'sla_breach_factor', 'urgency_weight_max', 'escalation_bonus',
        'repeat_window_days', 'repeat_penalty_share', 'hourly_work_share',
        'kpi_sla_high_threshold', 'kpi_sla_high_multiplier',
        'kpi_sla_low_threshold', 'kpi_sla_low_multiplier',
        'load_w_sites', 'load_w_fleet', 'load_w_hours', 'load_w_complexity',
    ]) }}
{%- endmacro %}

{#- Join condition: the coefficient set `alias` in force at `moment`. -#}
{% macro marts_in_force(alias, moment) -%}
    {{ alias }}.valid_from <= {{ moment }} and ({{ alias }}.valid_to is null or {{ moment }} < {{ alias }}.valid_to)
{%- endmacro %}

{#- complexity_coef(n) from a coefficient set `alias`; a missing (or out of range)
    complexity is taken as 2 (metrics.md rule 1). -#}
{% macro marts_complexity_coef(alias, complexity) -%}
    case coalesce({{ complexity }}, 2)
        when 1 then {{ alias }}.complexity_1
        when 3 then {{ alias }}.complexity_3
        when 4 then {{ alias }}.complexity_4
        when 5 then {{ alias }}.complexity_5
        else {{ alias }}.complexity_2
    end
{%- endmacro %}

{#- The effective complexity n used (1..5; missing or out of range -> 2). -#}
{% macro marts_complexity_n(complexity) -%}
    case when {{ complexity }} between 1 and 5 then {{ complexity }} else 2 end
{%- endmacro %}
