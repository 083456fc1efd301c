{#- Periods of the KPI, bonus and contract marts (docs/rules.md "Time and periods"): calendar
    months (or ISO weeks, Monday start) in the company time zone. -#}

{#- First day of the period (date) that contains the timestamptz `ts`. grain: month | week -#}
{% macro marts_period(ts, grain='month') -%}
    date_trunc('{{ grain }}', ({{ ts }}) at time zone '{{ company_tz() }}')::date
{%- endmacro %}

{#- The last moment (microsecond) of the period that starts on the date `period_start`. -#}
{% macro marts_period_last_moment(period_start, grain='month') -%}
    ((({{ period_start }})::timestamp + interval '1 {{ grain }}') at time zone '{{ company_tz() }}' - interval '1 microsecond')
{%- endmacro %}
