-- KPI per engineer and calendar month (metrics.md "KPIs"); see macros/marts/marts_engineer_kpi.sql.
{{ marts_engineer_kpi('month') }}
