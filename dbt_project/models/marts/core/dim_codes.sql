{{
    config(
        indexes=[{'columns': ['domain', 'code'], 'unique': True}],
    )
}}
-- Russian names of the codes the screens show that have no dimension of their own (work
-- types: dim_work_types). The unique index on (domain, code) lets PostgreSQL drop a left join
-- to this table from a bi view when a query reads no name.
select domain, code, name_ru
from (values
    ('shift_type', 'day', 'Дневная смена'),
    ('shift_type', 'night', 'Ночная смена'),
    ('shift_type', 'duty_day', 'Дневное дежурство'),
    ('shift_type', 'duty_night', 'Ночное дежурство'),
    ('shift_type', 'duty_weekend', 'Дежурство в выходной'),

    ('shift_status', 'planned', 'Запланирована'),
    ('shift_status', 'worked', 'Отработана'),
    ('shift_status', 'absent', 'Неявка'),
    ('shift_status', 'cancelled', 'Отменена'),

    ('line_kind', 'ticket_points', 'Баллы за заявку'),
    ('line_kind', 'repeat_penalty', 'Штраф за повтор'),
    ('line_kind', 'duty_shift', 'Дежурство'),
    ('line_kind', 'hourly_work_share', 'Доля почасовой работы'),
    ('line_kind', 'kpi_multiplier', 'Множитель KPI'),
    ('line_kind', 'floor_adjustment', 'Доведение до нуля'),

    ('event_type', 'ticket_created', 'Заявка создана'),
    ('event_type', 'ticket_taken', 'Заявка взята в работу'),
    ('event_type', 'ticket_status_changed', 'Смена статуса заявки'),
    ('event_type', 'ticket_completed', 'Заявка решена'),
    ('event_type', 'ticket_reopened', 'Заявка переоткрыта'),
    ('event_type', 'work_logged', 'Списано время'),
    ('event_type', 'shift_worked', 'Отработана смена'),
    ('event_type', 'invoice_posted', 'Проведён счёт'),

    ('ticket_status', 'opened', 'Открыта'),
    ('ticket_status', 'in_progress', 'В работе'),
    ('ticket_status', 'delayed', 'Отложена'),
    ('ticket_status', 'completed', 'Решена'),
    ('ticket_status', 'closed', 'Закрыта'),

    ('priority', 'low', 'Низкий'),
    ('priority', 'normal', 'Обычный'),
    ('priority', 'high', 'Высокий'),
    ('priority', 'critical', 'Критический'),

    ('dq_check', 'completed_without_in_progress', 'Решена, минуя «В работе»'),
    ('dq_check', 'missing_complexity', 'Не указана сложность'),
    ('dq_check', 'missing_work_type', 'Не указан вид работ'),
    ('dq_check', 'missing_site', 'Не указан объект'),
    ('dq_check', 'time_entry_on_closed_ticket', 'Время списано по закрытой заявке'),
    ('dq_check', 'shift_without_ticket_activity', 'Смена без работы по заявкам'),
    ('dq_check', 'work_type_not_in_price_list', 'Вида работ нет в прайсе баллов'),

    ('forecast_metric', 'tickets', 'Заявки'),
    ('forecast_metric', 'hours', 'Часы работ'),

    ('reject_reason', 'not_an_object', 'Запись — не объект JSON'),
    ('reject_reason', 'time_entries_unavailable', 'Списания времени заявки не получены'),
    ('reject_reason', 'duplicate_key', 'Ключ повторяется'),
    ('reject_reason', 'blank_value', 'Не заполнено обязательное значение'),
    ('reject_reason', 'missing_field', 'Нет обязательного поля'),
    ('reject_reason', 'bad_inn', 'ИНН не из 10 или 12 цифр'),
    ('reject_reason', 'not_a_date', 'Не дата или время'),
    ('reject_reason', 'not_a_number', 'Не число'),
    ('reject_reason', 'unknown_code', 'Код не из справочника'),
    ('reject_reason', 'invalid_value', 'Недопустимое значение'),
    ('reject_reason', 'future_dated', 'Дата изменения в будущем'),
    ('reject_reason', 'other', 'Другая причина'),

    ('forecast_model', 'prophet', 'Prophet (прогноз)'),
    ('forecast_model', 'last_week', 'Как прошлая неделя'),
    ('forecast_model', 'same_week_last_year', 'Как год назад'),
    ('forecast_model', 'moving_average', 'Среднее за 4 недели'),
    ('forecast_model', 'theta', 'Тета-метод'),
    ('forecast_model', 'ensemble', 'Медиана моделей'),
    ('forecast_model', 'prophet_holidays', 'Prophet с праздниками')
) as c (domain, code, name_ru)
