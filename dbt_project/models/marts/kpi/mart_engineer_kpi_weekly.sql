-- KPI per engineer and ISO week (Monday start, company zone); the weekly twin of mart_engineer_kpi.
{{ marts_engineer_kpi('week') }}
