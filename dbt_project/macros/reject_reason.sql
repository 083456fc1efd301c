{#- The kind of a reject reason the extractors write (extractors/common/validate.py,
    extractors/registry/workbook.py, the help-desk time entries), read from the first problem
    of the text: a reason can list several ("...; ..."). The codes have Russian names in
    dim_codes (domain reject_reason); tests/superset/test_reject_reasons.py feeds every kind of
    reason the extractors produce through this and checks none is 'other'. -#}
{% macro reject_reason_code(reason) -%}
    case
        when split_part({{ reason }}, '; ', 1) like 'not a JSON object%' then 'not_an_object'
        when split_part({{ reason }}, '; ', 1) like 'time entries of issue %' then 'time_entries_unavailable'
        when split_part({{ reason }}, '; ', 1) like '%is already on row%' then 'duplicate_key'
        when split_part({{ reason }}, '; ', 1) like '%the key is blank%' then 'blank_value'
        when split_part({{ reason }}, '; ', 1) like '%: dated in the future (%' then 'future_dated'
        when split_part({{ reason }}, '; ', 1) like '%: Field required%' then 'missing_field'
        when split_part({{ reason }}, '; ', 1) like '%expected an INN%' then 'bad_inn'
        when split_part({{ reason }}, '; ', 1) ~ 'expected a date|should be a valid (datetime|date)|timezone'
            then 'not_a_date'
        when split_part({{ reason }}, '; ', 1) ~ 'expected a number|should be a valid (integer|number|decimal)|finite number|^field ''[^'']*'': Decimal input'
            then 'not_a_number'
        when split_part({{ reason }}, '; ', 1) ~ ': Input should be ''' then 'unknown_code'
        when split_part({{ reason }}, '; ', 1) ~ '^field ''' then 'invalid_value'
        else 'other'
    end
{%- endmacro %}

{#- The field (JSON sources) or column (registry) the first problem of a reject reason names. -#}
{% macro reject_reason_field(reason) -%}
    coalesce(
        substring(split_part({{ reason }}, '; ', 1) from $$column '([^']*)'$$),
        substring(split_part({{ reason }}, '; ', 1) from $$^field '([^']*)'$$)
    )
{%- endmacro %}
