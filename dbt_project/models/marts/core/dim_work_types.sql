-- Work types: the help-desk catalogue codes, plus any code seen in tickets or 1C registers.
with

catalogue as (
    select * from (values
        ('emergency_repair', 'Аварийный ремонт', 'Emergency repair'),
        ('diagnostics', 'Диагностика', 'Diagnostics'),
        ('maintenance', 'Плановое обслуживание', 'Maintenance'),
        ('installation', 'Монтаж', 'Installation'),
        ('remote_support', 'Удалённая поддержка', 'Remote support'),
        ('consultation', 'Консультация', 'Consultation'),
        ('paid_visit', 'Платный выезд', 'Paid visit')
    ) as c (work_type, name_ru, name_en)
),

seen as (
    select work_type from {{ ref('stg_helpdesk__issues') }} where work_type is not null
    union
    select work_type from {{ ref('stg_onec__points_prices') }}
    union
    select work_type from {{ ref('stg_onec__service_tariffs') }}
    union
    select work_type from catalogue
)

select
    s.work_type,
    coalesce(c.name_ru, s.work_type) as name_ru,
    coalesce(c.name_en, s.work_type) as name_en,
    c.work_type is not null as in_catalogue
from seen as s
left join catalogue as c on c.work_type = s.work_type
