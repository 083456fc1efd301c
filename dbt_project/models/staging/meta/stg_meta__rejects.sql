-- Rejected source records of every source in one list (the rejects tables of raw_*).
with

{% for src in ['helpdesk', 'schedule', 'onec', 'registry'] %}
{{ src }}_rejects as (
    select
        '{{ src }}' as source_system,
        reject_id::text as reject_id,
        entity,
        source_key::text as source_key,
        reason,
        {{ reject_reason_code('reason') }} as reason_code,
        {{ reject_reason_field('reason') }} as reason_field,
        raw_text,
        {% if src == 'registry' %}sheet, row_number, column_name,{% else %}null::text as sheet, null::int as row_number, null::text as column_name,{% endif %}
        _load_id,
        _loaded_at
    from {{ source('raw_' ~ src, 'rejects') }}
),
{% endfor %}

unioned as (
    {% for src in ['helpdesk', 'schedule', 'onec', 'registry'] %}
    select * from {{ src }}_rejects
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
)

select * from unioned
