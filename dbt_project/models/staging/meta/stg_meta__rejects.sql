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

-- The kind of a reject reason the extractors write (extractors/common/validate.py,
-- extractors/registry/workbook.py, the help-desk time entries), read from the first problem of
-- the text (a reason can list several, "...; ..."), and the field (JSON sources) or column
-- (registry) it names. The kinds have Russian names in dim_codes (domain reject_reason);
-- tests/superset/test_reject_reasons.py feeds every kind of reason the extractors produce
-- through this model and checks none is 'other'.
select
    unioned.*,
    case
        when split_part(reason, '; ', 1) like 'not a JSON object%' then 'not_an_object'
        when split_part(reason, '; ', 1) like 'time entries of issue %' then 'time_entries_unavailable'
        when split_part(reason, '; ', 1) like '%is already on row%' then 'duplicate_key'
        when split_part(reason, '; ', 1) like '%the key is blank%' then 'blank_value'
        when split_part(reason, '; ', 1) like '%: dated in the future (%' then 'future_dated'
        when split_part(reason, '; ', 1) like '%: Field required%' then 'missing_field'
        when split_part(reason, '; ', 1) like '%expected an INN%' then 'bad_inn'
        when split_part(reason, '; ', 1) ~ 'expected a date|should be a valid (datetime|date)|timezone'
            then 'not_a_date'
        when split_part(reason, '; ', 1) ~ 'expected a number|should be a valid (integer|number|decimal)|finite number|^field ''[^'']*'': Decimal input'
            then 'not_a_number'
        when split_part(reason, '; ', 1) ~ ': Input should be ''' then 'unknown_code'
        when split_part(reason, '; ', 1) ~ '^field ''' then 'invalid_value'
        else 'other'
    end as reason_code,
    coalesce(
        substring(split_part(reason, '; ', 1) from $$column '([^']*)'$$),
        substring(split_part(reason, '; ', 1) from $$^field '([^']*)'$$)
    ) as reason_field
from unioned
