{#-
  Helpers of the incremental data-quality marts (models/marts/dq).

  dq_source_freshness post-hook: delete+insert replaces the rows of the (source, entity) keys
  a run produces; a key that no longer has any load or reject (a full build would not list
  it) is dropped here. Both inputs are a few hundred rows.
-#}
{% macro dq_freshness_drop_gone_keys() -%}
    delete from {{ this }} as f
    where not exists (select 1 from {{ ref('stg_meta__loads') }} as l
                      where l.source = f.source and l.entity = f.entity)
      and not exists (select 1 from {{ ref('stg_meta__rejects') }} as j
                      where j.source_system = f.source and j.entity = f.entity)
{%- endmacro %}
