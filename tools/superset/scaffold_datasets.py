"""Dataset definitions used by the scaffold (superset_assets/scaffold.py).

Every dashboard reads virtual datasets over the marts that add the engineer's and the
client's names, so that the native filters (period / region / team / client / engineer) find
the same column names everywhere: `region_name`, `team_name`, `full_name`, `client_name`.
A dataset that an engineer may open carries `personnel_no` (the Engineer role's RLS clause).
"""

from __future__ import annotations

from dataclasses import dataclass, field

ENGINEER = "left join marts.dim_engineers e on e.personnel_no = {alias}.personnel_no"
CLIENT = "left join marts.dim_clients c on c.client_inn = {alias}.client_inn"


@dataclass(frozen=True)
class DatasetSpec:
    key: str  # also the table_name Superset shows
    sql: str | None = None  # virtual dataset; None = physical table `schema.key`
    schema: str = "marts"
    dttm: str | None = None
    description: str = ""
    metrics: dict[str, tuple[str, str, str | None]] = field(default_factory=dict)  # name: (sql, label, d3)


DATASETS: list[DatasetSpec] = [
    DatasetSpec(
        "v_engineers",
        sql="""select e.personnel_no, e.full_name, e.login, e.team_name, e.region_name, e.is_active
from marts.dim_engineers e""",
        description="Инженеры (фильтры регион / команда / инженер)",
    ),
    DatasetSpec(
        "v_clients",
        sql="select c.client_inn, c.name as client_name from marts.dim_clients c",
        description="Клиенты (фильтр «Клиент»)",
    ),
    DatasetSpec(
        "v_engineer_kpi",
        sql="""select k.personnel_no, k.period_start, k.closed_tickets, k.weighted_closed,
    k.avg_resolution_hours, k.sla_resolution_rate, k.sla_reaction_rate, k.hours_worked,
    k.onsite_hours, k.sites_served, k.equipment_served, k.sites_assigned, k.fleet_assigned,
    k.repeat_share, k.csat_avg, k.csat_count, k.low_csat_count,
    e.full_name, e.team_name, e.region_name
from marts.mart_engineer_kpi k
""" + ENGINEER.format(alias="k"),
        dttm="period_start",
        description="KPI инженеров по месяцам (marts.mart_engineer_kpi)",
    ),
    DatasetSpec(
        "v_load_index",
        sql="""select l.personnel_no, l.period_start, l.load_index,
    e.full_name, e.team_name, e.region_name
from marts.mart_engineer_load_index l
""" + ENGINEER.format(alias="l") + "\nwhere l.grain = 'month'",
        dttm="period_start",
        description="Индекс загрузки (100 = медиана команды)",
    ),
    DatasetSpec(
        "v_tickets",
        sql="""select t.ticket_id, t.created_at, t.taken_at, t.completed_at, t.deadline_at,
    t.status_code, t.work_type, t.priority, t.complexity, t.is_escalated, t.csat, t.reopen_count,
    t.personnel_no, t.client_inn, t.site_code, t.sla_resolution_met, t.sla_reaction_met,
    t.passed_in_progress, t.completed_at is null as is_open,
    e.full_name, e.team_name, e.region_name, c.name as client_name
from marts.fct_tickets t
""" + ENGINEER.format(alias="t") + "\n" + CLIENT.format(alias="t"),
        dttm="created_at",
        description="Заявки (marts.fct_tickets) с именами инженера и клиента",
    ),
    DatasetSpec(
        "v_events",
        sql="""select ev.event_id, ev.event_type, ev.occurred_at, ev.duration_hours, ev.personnel_no,
    ev.client_inn, ev.site_code, ev.equipment_serial, ev.ticket_id, ev.work_type, ev.source_system,
    ev.points, ev.cost_rub, ev.revenue_rub,
    e.full_name, e.team_name, e.region_name, c.name as client_name
from marts.fct_events ev
""" + ENGINEER.format(alias="ev") + "\n" + CLIENT.format(alias="ev"),
        dttm="occurred_at",
        description="События (marts.fct_events): от компании до одного инженера",
    ),
    DatasetSpec(
        "v_sites",
        sql="""select s.site_code, s.name as site_name, s.address, s.region, s.lat, s.lon, s.area_m2,
    s.assigned_personnel_no as personnel_no, s.client_inn,
    e.full_name, e.team_name, e.region_name, c.name as client_name
from marts.dim_sites s
left join marts.dim_engineers e on e.personnel_no = s.assigned_personnel_no
""" + CLIENT.format(alias="s"),
        description="Объекты с координатами",
    ),
    DatasetSpec(
        "v_shifts",
        sql="""select sh.shift_id, sh.personnel_no, sh.shift_type, sh.planned_start, sh.planned_end,
    sh.actual_start, sh.actual_end, sh.status, sh.planned_hours, sh.worked_hours, sh.is_duty,
    e.full_name, e.team_name, e.region_name
from marts.fct_shifts sh
""" + ENGINEER.format(alias="sh") + "\nwhere not coalesce(sh.is_deleted, false)",
        dttm="planned_start",
        description="Смены и дежурства",
    ),
    DatasetSpec(
        "v_bonus_lines",
        sql="""select b.personnel_no, b.period_start, b.line_kind, b.source_event_id, b.ticket_id,
    b.points, b.amount_rub, b.coefficients::text as coefficients, b.explanation,
    e.full_name, e.team_name, e.region_name
from marts.mart_bonus_lines b
""" + ENGINEER.format(alias="b"),
        dttm="period_start",
        description="Строки премии с коэффициентами и пояснениями",
    ),
    DatasetSpec(
        "v_bonus_status",
        sql="""select s.personnel_no, s.period_start, s.total_rub, s.calc_hash,
    case
        when a.status is null then 'pending'
        when a.status = 'rejected' then 'rejected'
        when s.calc_hash is not distinct from a.calc_hash then 'approved'
        else 'stale'
    end as approval_status,
    case
        when a.status is null then 'ожидает'
        when a.status = 'rejected' then 'отклонена'
        when s.calc_hash is not distinct from a.calc_hash then 'утверждена'
        else 'устарела'
    end as approval_status_ru,
    a.amount_rub as approved_amount_rub, a.decided_by, a.decided_at,
    '<a href="{{ approvals_url() }}/?period=' || to_char(s.period_start, 'YYYY-MM')
        || '&personnel_no=' || s.personnel_no || '" target="_blank">открыть</a>' as approval_link,
    e.full_name, e.team_name, e.region_name
from marts.mart_bonus_summary s
left join payroll.bonus_approvals a
    on a.personnel_no = s.personnel_no and a.period_start = s.period_start
""" + ENGINEER.format(alias="s"),
        dttm="period_start",
        description="Премия и статус утверждения: approved / stale / pending (payroll.bonus_approvals)",
    ),
    DatasetSpec(
        "v_contract_usage",
        sql="""select u.contract_ref::text as contract_ref, u.client_inn, u.period_start, u.included_hours,
    u.used_hours, u.usage_ratio, u.traffic_light,
    case u.traffic_light when 'blue' then 'синий' when 'yellow' then 'жёлтый'
        when 'red' then 'красный' else u.traffic_light end as traffic_light_ru,
    u.overage_hours, u.overage_revenue_rub, c.name as client_name
from marts.mart_contract_usage u
""" + CLIENT.format(alias="u"),
        dttm="period_start",
        description="Часы по договорам: использовано против включённых, светофор",
    ),
    DatasetSpec(
        "v_client_profitability",
        sql="""select p.client_inn, p.period_start, p.expected_revenue_rub, p.invoiced_revenue_rub, p.billing_gap_rub,
    p.cost_rub, p.margin_rub, p.margin_pct, c.name as client_name
from marts.mart_client_profitability p
""" + CLIENT.format(alias="p"),
        dttm="period_start",
        description="Выручка, затраты и маржа по клиентам",
    ),
    DatasetSpec(
        "v_forecast",
        sql="""with latest as (
    select distinct on (series, week_start) series, week_start, yhat, yhat_lower, yhat_upper
    from forecasts.weekly_forecast
    order by series, week_start, generated_at desc
)
select coalesce(a.series, f.series) as series, coalesce(a.week_start, f.week_start) as week_start,
    a.value as actual, f.yhat, f.yhat_lower, f.yhat_upper
from forecasts.weekly_actuals a
full join latest f on f.series = a.series and f.week_start = a.week_start""",
        schema="forecasts",
        dttm="week_start",
        description="Факт и прогноз по неделям с интервалом 80%",
    ),
    DatasetSpec("capacity_plan", schema="forecasts", dttm="week_start", description="Дефицит мощности"),
    DatasetSpec("forecast_accuracy", schema="forecasts", dttm="last_cutoff", description="Точность прогноза"),
    DatasetSpec("dq_source_freshness", dttm="last_loaded_at", description="Свежесть источников"),
    DatasetSpec("dq_unmatched_identities", description="Несопоставленные записи"),
    DatasetSpec("dq_grey_zones", description="Серые зоны"),
    DatasetSpec(
        "v_rejects",
        sql="\nunion all\n".join(
            f"select '{src}' as source_system, r.entity, r.source_key, r.reason, r.raw_text, r._loaded_at\n"
            f"from raw_{src}.rejects r"
            for src in ("helpdesk", "schedule", "onec", "registry")
        ),
        dttm="_loaded_at",
        description="Отклонённые записи источников (raw_*.rejects)",
    ),
]

VERBOSE = {
    "personnel_no": "Таб. №", "full_name": "Инженер", "team_name": "Команда", "region_name": "Регион",
    "client_name": "Клиент", "client_inn": "ИНН клиента", "period_start": "Период", "login": "Логин",
    "is_active": "Работает", "closed_tickets": "Закрыто заявок", "weighted_closed": "Взвешенно закрыто",
    "avg_resolution_hours": "Ср. время решения, ч", "sla_resolution_rate": "SLA решения",
    "sla_reaction_rate": "SLA реакции", "hours_worked": "Отработано часов", "onsite_hours": "Часы на объектах",
    "sites_served": "Объектов обслужено", "equipment_served": "Единиц обслужено",
    "sites_assigned": "Объектов закреплено", "fleet_assigned": "Парк закреплён", "repeat_share": "Доля повторов",
    "csat_avg": "CSAT", "csat_count": "Оценок", "low_csat_count": "Низких оценок", "load_index": "Индекс загрузки",
    "ticket_id": "Заявка", "created_at": "Создана", "taken_at": "Взята в работу", "completed_at": "Выполнена",
    "deadline_at": "Срок", "status_code": "Статус", "work_type": "Вид работ", "priority": "Приоритет",
    "complexity": "Сложность", "is_escalated": "Эскалация", "csat": "Оценка", "reopen_count": "Переоткрытий",
    "site_code": "Объект", "sla_resolution_met": "SLA решения соблюдён", "sla_reaction_met": "SLA реакции соблюдён",
    "passed_in_progress": "Прошла «в работе»", "is_open": "Открыта", "event_id": "Событие",
    "event_type": "Тип события", "occurred_at": "Когда", "duration_hours": "Часы", "equipment_serial": "Оборудование",
    "source_system": "Источник", "points": "Баллы", "cost_rub": "Затраты, ₽", "revenue_rub": "Выручка, ₽",
    "site_name": "Объект", "address": "Адрес", "region": "Регион объекта", "lat": "Широта", "lon": "Долгота",
    "area_m2": "Площадь, м²", "shift_id": "Смена", "shift_type": "Тип смены", "planned_start": "Начало (план)",
    "planned_end": "Конец (план)", "actual_start": "Начало (факт)", "actual_end": "Конец (факт)", "status": "Статус",
    "planned_hours": "Часы (план)", "worked_hours": "Часы (факт)", "is_duty": "Дежурство", "line_kind": "Вид строки",
    "source_event_id": "Событие-основание", "amount_rub": "Сумма, ₽", "coefficients": "Коэффициенты",
    "explanation": "Пояснение", "total_rub": "Премия, ₽", "calc_hash": "Хеш расчёта",
    "approval_status": "Статус утверждения", "approval_status_ru": "Статус утверждения",
    "approved_amount_rub": "Утверждено, ₽", "decided_by": "Кто решил", "decided_at": "Когда решено",
    "approval_link": "Утверждение", "contract_ref": "Договор", "included_hours": "Включено часов",
    "used_hours": "Использовано часов", "usage_ratio": "Использование", "traffic_light": "Светофор (код)",
    "traffic_light_ru": "Светофор", "overage_hours": "Сверх лимита, ч", "overage_revenue_rub": "Выручка за сверхлимит, ₽",
    "series": "Ряд", "week_start": "Неделя", "actual": "Факт", "yhat": "Прогноз", "yhat_lower": "Нижняя граница",
    "yhat_upper": "Верхняя граница", "forecast_hours": "Прогноз часов", "scheduled_hours": "Часы по графику",
    "capacity_gap_hours": "Дефицит, ч", "extra_shifts_needed": "Доп. смен нужно", "model": "Модель",
    "cutoff": "Точка отсечения", "mape": "MAPE", "mase": "MASE", "source": "Источник", "entity": "Сущность",
    "last_loaded_at": "Последняя загрузка", "last_record_at": "Последняя запись", "rows_rejected": "Отклонено строк",
    "source_key": "Ключ в источнике", "reason": "Причина", "money_rub": "Деньги, ₽", "check_name": "Проверка",
    "detail": "Подробности", "label": "Ряд (название)", "level": "Уровень", "level_key": "Ключ уровня",
    "metric": "Показатель", "first_cutoff": "Первая отсечка", "last_cutoff": "Последняя отсечка",
    "n_cutoffs": "Отсечек", "n_points": "Точек", "horizon_weeks": "Горизонт, нед.", "is_best": "Лучшая",
    "best_model": "Лучшая модель", "generated_at": "Рассчитано", "cutoffs": "Отсечки",
    "forecast_hours_upper": "Прогноз часов (верх)", "scheduled_shifts": "Смен по графику",
    "schedule_published": "График опубликован", "roster_hours": "Часы по штатному графику",
    "capacity_basis": "Основа мощности", "typical_shift_hours": "Типичная смена, ч", "raw_text": "Исходный текст", "_loaded_at": "Загружено",
}
