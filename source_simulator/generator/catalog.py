"""Static reference data of the simulated company: codes and their demo values."""

from __future__ import annotations

from dataclasses import dataclass

WORK_TYPES: dict[str, str] = {
    "emergency_repair": "Аварийный ремонт",
    "diagnostics": "Диагностика",
    "maintenance": "Плановое ТО",
    "installation": "Монтаж",
    "remote_support": "Удалённая поддержка",
    "consultation": "Консультация",
    "paid_visit": "Платный выезд",
}
WORK_TYPE_WEIGHTS: dict[str, float] = {
    "emergency_repair": 0.17, "diagnostics": 0.15, "maintenance": 0.25, "installation": 0.07,
    "remote_support": 0.18, "consultation": 0.10, "paid_visit": 0.08,
}
# Points price list (1C). `consultation` is deliberately absent (rule: 0 points + data quality).
POINTS: dict[str, str] = {
    "emergency_repair": "10", "diagnostics": "4", "maintenance": "6", "installation": "8",
    "remote_support": "2", "paid_visit": "5",
}
# The mid-history change of the points price list.
POINTS_CHANGE: tuple[str, str] = ("emergency_repair", "12")

# Service tariffs per work type: client hourly rate, engineer hour cost (roubles).
SERVICE_TARIFFS: dict[str, tuple[str, str]] = {
    "emergency_repair": ("4500.00", "1400.00"), "diagnostics": ("3200.00", "1200.00"),
    "maintenance": ("2800.00", "1100.00"), "installation": ("3500.00", "1250.00"),
    "remote_support": ("2000.00", "900.00"), "consultation": ("1500.00", "800.00"),
    "paid_visit": ("3800.00", "1300.00"),
}
SERVICE_TARIFF_CHANGE: tuple[str, tuple[str, str]] = ("paid_visit", ("4200.00", "1350.00"))

DUTY_TARIFFS: dict[str, str] = {"duty_day": "2000.00", "duty_night": "2500.00", "duty_weekend": "3000.00"}
DUTY_TARIFF_CHANGE: tuple[str, str] = ("duty_night", "2800.00")

COEFFICIENTS: dict[str, str] = {
    "points_rate_rub": "150", "complexity_1": "0.8", "complexity_2": "1.0", "complexity_3": "1.25",
    "complexity_4": "1.5", "complexity_5": "2.0", "sla_breach_factor": "0.5",
    "urgency_weight_max": "0.5", "escalation_bonus": "0.25", "repeat_window_days": "30",
    "repeat_penalty_share": "0.5", "hourly_work_share": "0.10", "kpi_sla_high_threshold": "0.95",
    "kpi_sla_high_multiplier": "1.10", "kpi_sla_low_threshold": "0.85",
    "kpi_sla_low_multiplier": "0.90", "load_w_sites": "0.20", "load_w_fleet": "0.20",
    "load_w_hours": "0.35", "load_w_complexity": "0.25",
}
COEFFICIENT_CHANGE: tuple[str, str] = ("points_rate_rub", "165")

PRIORITIES: dict[str, str] = {"low": "Низкий", "normal": "Обычный", "high": "Высокий", "critical": "Критический"}
# priority -> (planned reaction hours, resolution deadline hours)
SLA_HOURS: dict[str, tuple[float, float]] = {
    "critical": (0.5, 4.0), "high": (1.0, 8.0), "normal": (4.0, 24.0), "low": (8.0, 72.0),
}
CHANNELS: dict[str, float] = {
    "phone": 0.30, "email": 0.22, "web": 0.18, "mobile": 0.08, "telegram": 0.10,
    "monitoring": 0.08, "missed_call": 0.04,
}
STATUSES: dict[str, str] = {
    "opened": "Открыта", "in_progress": "В работе", "delayed": "Отложена",
    "completed": "Решена", "closed": "Закрыта",
}
ACTIVITIES = ("onsite", "travel", "diagnostics", "maintenance", "emergency_repair", "remote",
              "hourly_work", "idle")
SHIFT_TYPES = ("day", "night", "duty_day", "duty_night", "duty_weekend")
SLA_LEVELS = ("Базовый", "Стандарт", "Премиум")


@dataclass(frozen=True)
class Kind:
    code: str
    name: str
    models: tuple[tuple[str, str, str, str], ...]  # (model_code, model_name, manuf_code, manuf_name)


EQUIPMENT_KINDS: tuple[Kind, ...] = (
    Kind("gas_analyzer", "Газоанализатор", (
        ("ga-300", "ГА-300", "analitpribor", "Аналитприбор"),
        ("dragx-7000", "X-am 7000", "draeger", "Dräger"))),
    Kind("flow_meter", "Расходомер", (
        ("vzlet-mr", "Взлёт МР", "vzlet", "Взлёт"),
        ("promag-400", "Promag 400", "endress", "Endress+Hauser"))),
    Kind("server", "Сервер", (
        ("dl380", "ProLiant DL380", "hpe", "HPE"),
        ("yadro-vegman", "Vegman S220", "yadro", "YADRO"))),
    Kind("ups", "ИБП", (
        ("smart-3000", "Smart-UPS 3000", "apc", "APC"),
        ("ippon-innova", "Innova RT 6K", "ippon", "Ippon"))),
    Kind("gps_tracker", "GPS-трекер", (
        ("umka-310", "УМКа 310", "navtelecom", "Навтелеком"),
        ("galileo-7x", "Galileosky 7x", "galileosky", "Галилеоскай"))),
    Kind("controller", "Контроллер", (
        ("s7-1200", "SIMATIC S7-1200", "siemens", "Siemens"),
        ("owen-plc", "ПЛК210", "owen", "ОВЕН"))),
)

TITLES: dict[str, tuple[str, ...]] = {
    "emergency_repair": ("Не работает {kind}", "Авария: {kind} не отвечает", "{kind}: ошибка, срочно"),
    "diagnostics": ("Проверить показания: {kind}", "Диагностика {kind}", "{kind} работает нестабильно"),
    "maintenance": ("Плановое ТО: {kind}", "Регламентные работы {kind}", "ТО по графику"),
    "installation": ("Монтаж {kind}", "Подключить новый {kind}", "Установка оборудования"),
    "remote_support": ("Удалённо: настройка {kind}", "Помощь с настройкой", "Сбой ПО {kind}"),
    "consultation": ("Вопрос по работе {kind}", "Консультация по договору", "Как выгрузить отчёт"),
    "paid_visit": ("Выезд по запросу клиента", "Платный выезд: {kind}", "Доп. работы на объекте"),
}
