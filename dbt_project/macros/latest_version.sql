{#-
  Latest version per key of an append-only raw table (one row per version; a row with
  `_vanished_at` set records the record's disappearance from a full reload).

  Returns a subquery with one row per key: every raw column of the newest version that is
  not a disappearance row (newest = greatest `_load_id`, then `_loaded_at`), plus
    `_record_vanished_at`  when the record disappeared after that version (null = present),
    `_last_loaded_at`      the newest `_loaded_at` of any row of the key (incremental models
                           reprocess a record when this moves),
    `_version_count`       how many raw rows the key has,
    `_max_load_id`         the newest `_load_id` of any row of the key (incremental staging
                           models read the raw rows loaded after it, see raw_changed_keys).
  A key that only has disappearance rows keeps its newest one (payload as the raw row has it).
  `where`: a predicate on the raw rows applied BEFORE the window functions (Postgres does not
  push a filter on the key through them): incremental staging models pass
  `raw_changed_keys(...)` so that only the versions of changed keys are read.
-#}
{% macro latest_version(relation, key_columns, where=none) -%}
{%- set part = key_columns | join(', ') -%}
{#- DISTINCT ON, not `row_number() = 1`: the planner estimates DISTINCT ON by the key's
    number of distinct values, but a filter on a window rank at a fixed 0.5% of the rows; with
    that guess a view joining two latest_version subqueries (help-desk equipment x sites) was
    planned as a 61k x 6k nested loop: 38 s instead of well under one on the large world. -#}
(
    select
        ranked.*,
        case
            when ranked._vanish_load_id is not null
             and ranked._vanish_load_id > coalesce(ranked._alive_load_id, -1)
            then ranked._vanish_at
        end as _record_vanished_at
    from (
        select distinct on ({{ part }})
            v.*,
            1::bigint as _version_rank,
            max(v._loaded_at) over (partition by {{ part }}) as _last_loaded_at,
            max(v._load_id) over (partition by {{ part }}) as _max_load_id,
            count(*) over (partition by {{ part }}) as _version_count,
            max(case when v._vanished_at is null then v._load_id end)
                over (partition by {{ part }}) as _alive_load_id,
            max(case when v._vanished_at is not null then v._load_id end)
                over (partition by {{ part }}) as _vanish_load_id,
            max(v._vanished_at) over (partition by {{ part }}) as _vanish_at
        from (select * from {{ relation }}{% if where %} where {{ where }}{% endif %}) as v
        order by {{ part }}, (v._vanished_at is null) desc, v._load_id desc, v._loaded_at desc
    ) as ranked
)
{%- endmacro %}
