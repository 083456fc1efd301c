{#- Value of a help-desk custom parameter by code: `parameters` is Okdesk's array of
    {code, name, field_type, value}; an object {code: value} is accepted as well. -#}
{% macro hd_param(payload, code) -%}
    coalesce(
        (
            select p ->> 'value'
            from jsonb_array_elements(
                case when jsonb_typeof({{ payload }} -> 'parameters') = 'array'
                     then {{ payload }} -> 'parameters' else '[]'::jsonb end
            ) as p
            where p ->> 'code' = '{{ code }}'
            limit 1
        ),
        case when jsonb_typeof({{ payload }} -> 'parameters') = 'object'
             then {{ payload }} -> 'parameters' ->> '{{ code }}' end
    )
{%- endmacro %}

{#- Text -> boolean for check boxes and flags ('true', '1', 'yes', 't'); null stays null. -#}
{% macro to_bool(expr) -%}
    (case
        when ({{ expr }}) is null then null
        when lower(trim(({{ expr }})::text)) in ('true', 't', '1', 'yes', 'y', 'да') then true
        else false
    end)
{%- endmacro %}

{#- Text -> numeric, accepting a decimal comma and blanks; unreadable -> null. -#}
{% macro to_numeric(expr) -%}
    (case
        when replace(replace(trim(({{ expr }})::text), ' ', ''), ',', '.') ~ '^[-+]?[0-9]*\.?[0-9]+([eE][-+]?[0-9]+)?$'
        then replace(replace(trim(({{ expr }})::text), ' ', ''), ',', '.')::numeric
    end)
{%- endmacro %}

{#- Trimmed text, empty -> null. -#}
{% macro clean_text(expr) -%}
    nullif(trim(({{ expr }})::text), '')
{%- endmacro %}

