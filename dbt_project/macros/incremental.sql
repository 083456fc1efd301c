{#-
  Incremental models reprocess every source record whose `_source_loaded_at` (the newest
  raw load of anything the row is made of) is within `lookback_days` of the newest one
  already in the table, so late-arriving rows are picked up; and every record whose money
  depends on a 1C register row loaded in that window from that row's Period on.
-#}
{% macro incremental_cutoff() -%}
    ((select coalesce(max(_source_loaded_at), '-infinity'::timestamptz) from {{ this }})
        - interval '{{ var("lookback_days") }} days')
{%- endmacro %}

{% macro rates_changed_from() -%}
    (
        select min(valid_from) from (
            {%- for reg in ['stg_onec__bonus_coefficients', 'stg_onec__points_prices',
                            'stg_onec__duty_tariffs', 'stg_onec__service_tariffs'] %}
            select valid_from from {{ ref(reg) }} where _last_loaded_at >= {{ incremental_cutoff() }}
            {% if not loop.last %}union all{% endif %}
            {%- endfor %}
        ) as changed_rates
    )
{%- endmacro %}

{#- The predicate selecting changed records in incremental mode (true otherwise). -#}
{% macro changed_records(loaded_col='_source_loaded_at', money_at=none) -%}
    {%- if is_incremental() -%}
    ({{ loaded_col }} >= {{ incremental_cutoff() }}
        {%- if money_at %} or {{ money_at }} >= {{ rates_changed_from() }}{% endif %})
    {%- else -%}
    true
    {%- endif -%}
{%- endmacro %}
