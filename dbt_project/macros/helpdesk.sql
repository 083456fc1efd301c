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

{#- Text -> date: ISO `YYYY-MM-DD...` or `DD.MM.YYYY`; anything else -> null. -#}
{% macro to_date(expr) -%}
    (case
        when trim(({{ expr }})::text) ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}' then left(trim(({{ expr }})::text), 10)::date
        when trim(({{ expr }})::text) ~ '^[0-9]{2}\.[0-9]{2}\.[0-9]{4}$' then to_date(trim(({{ expr }})::text), 'DD.MM.YYYY')
    end)
{%- endmacro %}

{#- Trimmed text, empty -> null. -#}
{% macro clean_text(expr) -%}
    nullif(trim(({{ expr }})::text), '')
{%- endmacro %}

{#- 'Москва: выездная группа 1' -> 'Москва'; a name without ':' -> null. -#}
{% macro team_region_from_name(expr) -%}
    nullif(trim(case when strpos({{ expr }}, ':') > 0 then split_part({{ expr }}, ':', 1) end), '')
{%- endmacro %}
