{#- The moment the engineer's live value is computed at: the newest activity of the warehouse
    (the KPI's as_of: the last load in production, the simulated clock in a demo world), or
    the session setting live_value.as_of when set (`set live_value.as_of = '2026-11-20
    12:00+03'`: the values as of another moment, for support and tests). An SQL expression. -#}
{% macro live_as_of() -%}
    coalesce(
        nullif(current_setting('live_value.as_of', true), '')::timestamptz,
        (select as_of_at from {{ marts_activity_bounds() }} as bounds)
    )
{%- endmacro %}

{#- The Russian noun for the integer SQL expression `n` (1 заявка, 2 заявки, 5 заявок). -#}
{% macro ru_plural(n, one, few, many) -%}
    (case
        when ({{ n }}) % 10 = 1 and ({{ n }}) % 100 <> 11 then '{{ one }}'
        when ({{ n }}) % 10 between 2 and 4 and ({{ n }}) % 100 not between 12 and 14 then '{{ few }}'
        else '{{ many }}'
    end)
{%- endmacro %}

{#- A multiplier as the screens write it: ×1,10 -#}
{% macro ru_multiplier(m) -%}
    ('×' || replace(to_char(({{ m }}), 'FM990.00'), '.', ','))
{%- endmacro %}
