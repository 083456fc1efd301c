"""Chart and dashboard definitions used by the scaffold (superset_assets/scaffold.py)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

RUB = ",.2f"
PCT = ".1%"
NUM = ",.0f"


def _opt(prefix: str, text: str) -> str:
    return f"{prefix}_{hashlib.sha1(text.encode()).hexdigest()[:10]}"


def metric(sql: str, label: str) -> dict[str, Any]:
    return {
        "expressionType": "SQL",
        "sqlExpression": sql,
        "label": label,
        "hasCustomLabel": True,
        "optionName": _opt("metric", sql + label),
    }


def where(sql: str) -> dict[str, Any]:
    return {
        "expressionType": "SQL",
        "sqlExpression": sql,
        "clause": "WHERE",
        "filterOptionName": _opt("filter", sql),
    }


def time_range(column: str) -> dict[str, Any]:
    return {
        "expressionType": "SIMPLE",
        "subject": column,
        "operator": "TEMPORAL_RANGE",
        "comparator": "No filter",
        "clause": "WHERE",
        "filterOptionName": _opt("filter", "time" + column),
    }


@dataclass
class ChartSpec:
    key: str
    title: str
    dataset: str
    viz_type: str
    body: dict[str, Any]
    dttm: str | None = None
    filters: list[str] = field(default_factory=list)
    width: int | None = None
    height: int = 50
    description: str | None = None

    def params(self) -> dict[str, Any]:
        adhoc = ([time_range(self.dttm)] if self.dttm else []) + [where(f) for f in self.filters]
        return {
            "viz_type": self.viz_type,
            "adhoc_filters": adhoc,
            "time_range": "No filter",
            **self.body,
        }


def big(key, title, dataset, m, dttm=None, fmt="SMART_NUMBER", filters=(), subheader="", **kw) -> ChartSpec:
    return ChartSpec(
        key, title, dataset, "big_number_total",
        {"metric": m, "y_axis_format": fmt, "header_font_size": 0.4, "subheader_font_size": 0.15,
         "subheader": subheader},
        dttm=dttm, filters=list(filters), height=kw.pop("height", 30), **kw,
    )


def table(key, title, dataset, groupby, metrics, dttm=None, filters=(), order_desc=True, fmt=None, **kw) -> ChartSpec:
    return ChartSpec(
        key, title, dataset, "table",
        {"query_mode": "aggregate", "groupby": groupby, "metrics": metrics, "all_columns": [],
         "percent_metrics": [], "order_desc": order_desc, "row_limit": 1000, "server_page_length": 50,
         "table_timestamp_format": "%Y-%m-%d", "allow_render_html": True, "show_cell_bars": False,
         "timeseries_limit_metric": metrics[0] if metrics else None,
         "column_config": {m["label"]: {"d3NumberFormat": fmt} for m in metrics} if fmt else {}},
        dttm=dttm, filters=list(filters), **kw,
    )


def rows(key, title, dataset, columns, order_by, dttm=None, filters=(), desc=True, column_config=None, **kw) -> ChartSpec:
    return ChartSpec(
        key, title, dataset, "table",
        {"query_mode": "raw", "all_columns": columns, "groupby": [], "metrics": [], "percent_metrics": [],
         "order_by_cols": [f'["{order_by}", {"false" if desc else "true"}]'], "row_limit": 1000,
         "server_page_length": 50, "table_timestamp_format": "%Y-%m-%d %H:%M", "allow_render_html": True,
         "column_config": column_config or {}},
        dttm=dttm, filters=list(filters), **kw,
    )


def series(key, title, dataset, x, metrics, viz="echarts_timeseries_bar", groupby=(), grain=None,
           filters=(), dttm=None, fmt="SMART_NUMBER", stack=False, **kw) -> ChartSpec:
    body = {"x_axis": x, "metrics": metrics, "groupby": list(groupby), "row_limit": 10000,
            "y_axis_format": fmt, "show_legend": True, "legendType": "scroll", "legendOrientation": "top",
            "rich_tooltip": True, "truncate_metric": True, "order_desc": True}
    if grain:
        body["time_grain_sqla"] = grain
    if stack:
        body["stack"] = "Stack"
    return ChartSpec(key, title, dataset, viz, body, dttm=dttm if dttm else (x if grain else None),
                     filters=list(filters), **kw)


def pie(key, title, dataset, groupby, m, dttm=None, filters=(), **kw) -> ChartSpec:
    return ChartSpec(
        key, title, dataset, "pie",
        {"groupby": groupby, "metric": m, "row_limit": 100, "show_legend": True, "show_labels": True,
         "label_type": "key_value", "number_format": "SMART_NUMBER", "donut": True, "outerRadius": 70,
         "innerRadius": 30, "legendOrientation": "top", "sort_by_metric": True},
        dttm=dttm, filters=list(filters), **kw,
    )


@dataclass
class FilterSpec:
    key: str
    name: str
    column: str | None = None  # None: the time filter
    dataset: str | None = None

    def config(self, uid: Callable[[str, str], str]) -> dict[str, Any]:
        base = {
            "id": f"NATIVE_FILTER-{self.key}",
            "name": self.name,
            "type": "NATIVE_FILTER",
            "description": "",
            "cascadeParentIds": [],
            "scope": {"rootPath": ["ROOT_ID"], "excluded": []},
            "defaultDataMask": {"extraFormData": {}, "filterState": {}, "ownState": {}},
        }
        if self.column is None:
            return {**base, "filterType": "filter_time", "targets": [{}], "controlValues": {},
                    "defaultDataMask": {"extraFormData": {}, "filterState": {"value": "No filter"}, "ownState": {}}}
        return {
            **base,
            "filterType": "filter_select",
            "targets": [{"datasetUuid": uid("dataset", self.dataset or ""), "column": {"name": self.column}}],
            "controlValues": {"multiSelect": True, "enableEmptyFilter": False, "defaultToFirstItem": False,
                              "inverseSelection": False, "searchAllOptions": False},
        }


PERIOD = FilterSpec("period", "Период")
REGION = FilterSpec("region", "Регион", "region_name", "v_engineers")
TEAM = FilterSpec("team", "Команда", "team_name", "v_engineers")
CLIENT = FilterSpec("client", "Клиент", "client_name", "v_clients")
ENGINEER = FilterSpec("engineer", "Инженер", "full_name", "v_engineers")

TRAFFIC_COLORS = {"синий": "#1E88E5", "жёлтый": "#FBC02D", "красный": "#D32F2F",
                  "blue": "#1E88E5", "yellow": "#FBC02D", "red": "#D32F2F"}
STATUS_COLORS = {"утверждена": "#2E7D32", "устарела": "#EF6C00", "ожидает": "#9E9E9E", "отклонена": "#C62828"}


@dataclass
class DashboardSpec:
    slug: str
    title: str
    filters: list[FilterSpec]
    rows: list[list[ChartSpec]]
    label_colors: dict[str, str] = field(default_factory=dict)


M_COUNT = metric("count(*)", "Заявок")
M_REVENUE = metric("sum(revenue_rub)", "Выручка, ₽")
M_COST = metric("sum(cost_rub)", "Затраты, ₽")
M_MARGIN = metric("coalesce(sum(revenue_rub), 0) - coalesce(sum(cost_rub), 0)", "Маржа, ₽")
M_SLA = metric("avg(case when sla_resolution_met then 1.0 when not sla_resolution_met then 0.0 end)", "SLA решения")
M_BONUS = metric("sum(amount_rub)", "Премия, ₽")

MANAGER = DashboardSpec(
    "manager", "Кабинет руководителя", [PERIOD, REGION, TEAM, CLIENT, ENGINEER],
    [
        [
            big("opened", "Открыто заявок", "v_tickets", metric("count(*)", "Открыто"), dttm="created_at"),
            big("closed", "Закрыто заявок", "v_tickets", metric("count(completed_at)", "Закрыто"), dttm="completed_at"),
            big("backlog", "Бэклог (открытые)", "v_tickets", metric("count(*)", "Бэклог"), filters=["completed_at is null"]),
            big("sla", "SLA решения", "v_tickets", M_SLA, dttm="completed_at", fmt=PCT),
            big("repeat", "Доля повторов", "v_engineer_kpi",
                metric("sum(repeat_share * closed_tickets) / nullif(sum(closed_tickets), 0)", "Доля повторов"),
                dttm="period_start", fmt=PCT),
            big("csat", "CSAT (1–5)", "v_tickets", metric("avg(csat)", "CSAT"), dttm="completed_at", fmt=",.2f"),
        ],
        [
            big("bonus", "Премии начислено, ₽", "v_bonus_lines", M_BONUS, dttm="period_start", fmt=RUB),
            big("revenue", "Выручка, ₽", "v_events", M_REVENUE, dttm="occurred_at", fmt=RUB),
            big("cost", "Затраты, ₽", "v_events", M_COST, dttm="occurred_at", fmt=RUB),
            big("margin", "Маржа, ₽", "v_events", M_MARGIN, dttm="occurred_at", fmt=RUB),
        ],
        [
            table("engineers", "Инженеры: KPI за период", "v_engineer_kpi", ["full_name", "team_name", "region_name"],
                  [metric("sum(closed_tickets)", "Закрыто"), metric("sum(weighted_closed)", "Взвешенно"),
                   metric("avg(sla_resolution_rate)", "SLA решения"), metric("avg(csat_avg)", "CSAT"),
                   metric("sum(onsite_hours)", "Часы на объектах")], dttm="period_start", width=8),
            table("load_index", "Индекс загрузки (100 = медиана команды)", "v_load_index", ["full_name", "team_name"],
                  [metric("avg(load_index)", "Индекс загрузки")], dttm="period_start", fmt=",.0f", width=4),
        ],
        [
            ChartSpec("sites_map", "Объекты на карте (долгота × широта)", "v_sites", "bubble_v2",
                      {"entity": "site_name", "series": "region", "x": metric("avg(lon)", "Долгота"),
                       "y": metric("avg(lat)", "Широта"), "size": metric("count(*)", "Объектов"),
                       "max_bubble_size": "10", "row_limit": 10000, "x_axis_label": "Долгота",
                       "y_axis_label": "Широта", "show_legend": True, "x_axis_format": ".2f",
                       "y_axis_format": ".2f", "opacity": 0.7, "legendOrientation": "top"},
                      description="Офлайн-карта: точки по координатам без подложки (тайлы из интернета недоступны)"),
            series("load_by_week", "Нагрузка по неделям: создано заявок", "v_tickets", "created_at", [M_COUNT],
                   grain="P1W"),
        ],
        [
            series("budget", "Бюджет и факт по договорам, ч", "v_contract_usage", "client_name",
                   [metric("sum(included_hours)", "Включено, ч"), metric("sum(used_hours)", "Использовано, ч")],
                   dttm="period_start"),
            series("forecast", "Прогноз заявок на 12 недель", "v_forecast", "week_start",
                   [metric("sum(actual)", "Заявки"), metric("sum(yhat)", "Заявки__yhat"),
                    metric("sum(yhat_lower)", "Заявки__yhat_lower"), metric("sum(yhat_upper)", "Заявки__yhat_upper")],
                   viz="echarts_timeseries_line", grain="P1W", filters=["series = 'tickets:company'"]),
        ],
        [
            rows("events", "События (от компании до инженера)", "v_events",
                 ["occurred_at", "event_type", "full_name", "team_name", "client_name", "site_code", "ticket_id",
                  "work_type", "points", "cost_rub", "revenue_rub"], "occurred_at", dttm="occurred_at", height=70),
        ],
    ],
    label_colors=TRAFFIC_COLORS,
)

ENGINEER_DASH = DashboardSpec(
    "engineer", "Кабинет инженера", [PERIOD],
    [
        [
            big("closed", "Закрыто заявок", "v_engineer_kpi", metric("sum(closed_tickets)", "Закрыто"), dttm="period_start"),
            big("sla", "SLA решения (цель ≥ 95%)", "v_engineer_kpi", metric("avg(sla_resolution_rate)", "SLA решения"),
                dttm="period_start", fmt=PCT, subheader="цель ≥ 95%, ниже 85% — понижающий коэффициент"),
            big("csat", "CSAT (1–5)", "v_engineer_kpi", metric("avg(csat_avg)", "CSAT"), dttm="period_start", fmt=",.2f"),
            big("bonus", "Моя премия, ₽", "v_bonus_lines", M_BONUS, dttm="period_start", fmt=RUB),
        ],
        [
            table("kpi", "Мои показатели по месяцам (все месяцы)", "v_engineer_kpi", ["period_start", "full_name", "personnel_no"],
                  [metric("sum(closed_tickets)", "Закрыто"), metric("avg(sla_resolution_rate)", "SLA решения"),
                   metric("avg(sla_reaction_rate)", "SLA реакции"), metric("sum(hours_worked)", "Отработано, ч"),
                   metric("sum(onsite_hours)", "На объектах, ч"), metric("avg(repeat_share)", "Доля повторов"),
                   metric("avg(csat_avg)", "CSAT")], dttm="period_start"),
        ],
        [
            rows("bonus_lines", "Строки моей премии", "v_bonus_lines",
                 ["period_start", "personnel_no", "line_kind", "ticket_id", "points", "amount_rub", "explanation"],
                 "period_start", dttm="period_start", height=60),
        ],
        [
            rows("upcoming", "Предстоящая работа: открытые заявки", "v_tickets",
                 ["ticket_id", "created_at", "deadline_at", "status_code", "work_type", "client_name", "site_code",
                  "personnel_no"], "deadline_at", filters=["completed_at is null"], desc=False),
            rows("planned", "Запланированные смены и выезды", "v_shifts",
                 ["planned_start", "planned_end", "shift_type", "status", "personnel_no"], "planned_start",
                 filters=["status = 'planned'"], desc=False),
        ],
        [
            rows("closed_tickets", "Закрытые заявки", "v_tickets",
                 ["ticket_id", "completed_at", "work_type", "complexity", "sla_resolution_met", "csat", "client_name",
                  "personnel_no"], "completed_at", dttm="completed_at", filters=["completed_at is not null"]),
            rows("shifts", "История смен", "v_shifts",
                 ["planned_start", "shift_type", "status", "planned_hours", "worked_hours", "personnel_no"],
                 "planned_start", dttm="planned_start"),
        ],
    ],
)

BONUSES = DashboardSpec(
    "bonuses", "Премии и выплаты", [PERIOD, REGION, TEAM, ENGINEER],
    [
        [
            big("total", "Начислено премий, ₽", "v_bonus_status", metric("sum(total_rub)", "Начислено"),
                dttm="period_start", fmt=RUB),
            big("approved", "Утверждено, ₽", "v_bonus_status", metric("sum(total_rub)", "Утверждено"),
                dttm="period_start", fmt=RUB, filters=["approval_status = 'approved'"]),
            big("pending", "Ждут утверждения", "v_bonus_status", metric("count(*)", "Ждут"),
                dttm="period_start", filters=["approval_status in ('pending', 'stale')"],
                subheader="включая устаревшие утверждения"),
            pie("status", "Статусы утверждения", "v_bonus_status", ["approval_status_ru"], metric("count(*)", "Премий"),
                dttm="period_start", height=30),
        ],
        [
            rows("summary", "Премии по инженерам и периодам", "v_bonus_status",
                 ["period_start", "personnel_no", "full_name", "team_name", "total_rub", "approval_status_ru",
                  "approved_amount_rub", "decided_by", "decided_at", "approval_link"], "period_start",
                 dttm="period_start", height=60),
        ],
        [
            rows("lines", "Строки премии с коэффициентами", "v_bonus_lines",
                 ["period_start", "personnel_no", "full_name", "line_kind", "ticket_id", "points", "amount_rub",
                  "coefficients", "explanation"], "period_start", dttm="period_start", height=70, width=8),
            pie("by_kind", "Премия по видам строк, ₽", "v_bonus_lines", ["line_kind"], M_BONUS, dttm="period_start",
                width=4),
        ],
    ],
    label_colors=STATUS_COLORS,
)

CONTRACTS = DashboardSpec(
    "contracts", "Договоры и рентабельность", [PERIOD, CLIENT],
    [
        [
            pie("lights", "Договоры по светофору", "v_contract_usage", ["traffic_light_ru"], metric("count(*)", "Договоров"),
                dttm="period_start", width=4),
            series("usage", "Использование часов по клиентам (светофор)", "v_contract_usage", "client_name",
                   [metric("max(usage_ratio)", "Использование")], groupby=["traffic_light_ru"], dttm="period_start",
                   fmt=PCT, width=8),
        ],
        [
            rows("usage_table", "Часы: использовано против включённых", "v_contract_usage",
                 ["period_start", "client_name", "contract_ref", "included_hours", "used_hours", "usage_ratio",
                  "traffic_light_ru", "overage_hours", "overage_revenue_rub"], "usage_ratio", dttm="period_start",
                 height=60),
        ],
        [
            table("profit", "Выручка, затраты и маржа по клиентам", "v_client_profitability", ["client_name"],
                  [metric("sum(invoiced_revenue_rub)", "Выставлено, ₽"), metric("sum(expected_revenue_rub)", "Ожидается, ₽"),
                   metric("sum(cost_rub)", "Затраты, ₽"), metric("sum(margin_rub)", "Маржа, ₽")],
                  dttm="period_start", fmt=RUB),
        ],
    ],
    label_colors=TRAFFIC_COLORS,
)

FORECAST = DashboardSpec(
    "forecast", "Прогноз нагрузки", [PERIOD],
    [
        [
            series("tickets", "Заявки в неделю: факт и прогноз (80%)", "v_forecast", "week_start",
                   [metric("sum(actual)", "Заявки"), metric("sum(yhat)", "Заявки__yhat"),
                    metric("sum(yhat_lower)", "Заявки__yhat_lower"), metric("sum(yhat_upper)", "Заявки__yhat_upper")],
                   viz="echarts_timeseries_line", grain="P1W", filters=["series = 'tickets:company'"]),
            series("hours", "Часы работ в неделю: факт и прогноз (80%)", "v_forecast", "week_start",
                   [metric("sum(actual)", "Часы"), metric("sum(yhat)", "Часы__yhat"),
                    metric("sum(yhat_lower)", "Часы__yhat_lower"), metric("sum(yhat_upper)", "Часы__yhat_upper")],
                   viz="echarts_timeseries_line", grain="P1W", filters=["series = 'hours:company'"]),
        ],
        [
            series("capacity", "Дефицит мощности: прогноз часов против смен", "capacity_plan", "week_start",
                   [metric("sum(forecast_hours)", "Прогноз, ч"), metric("sum(scheduled_hours)", "По графику, ч"),
                    metric("sum(capacity_gap_hours)", "Дефицит, ч")], grain="P1W", filters=["series = 'hours:company'"]),
            table("extra_shifts", "Дополнительные смены", "capacity_plan", ["week_start"],
                  [metric("sum(extra_shifts_needed)", "Доп. смен")], dttm="week_start", order_desc=False),
        ],
        [
            table("accuracy", "Точность прогноза против базовых моделей", "forecast_accuracy", ["series", "model"],
                  [metric("avg(mape)", "MAPE"), metric("avg(mase)", "MASE"), metric("max(n_cutoffs)", "Отсечек")],
                  order_desc=False),
        ],
    ],
)

DATA_QUALITY = DashboardSpec(
    "data-quality", "Качество данных", [PERIOD],
    [
        [
            big("unmatched", "Несопоставленных записей", "dq_unmatched_identities", metric("count(*)", "Записей")),
            big("unmatched_money", "Деньги без владельца, ₽", "dq_unmatched_identities",
                metric("sum(money_rub)", "Деньги"), fmt=RUB),
            big("grey", "Серые зоны", "dq_grey_zones", metric("count(*)", "Случаев")),
            big("no_progress", "Закрыты, минуя «в работе»", "v_tickets", metric("count(*)", "Заявок"),
                filters=["completed_at is not null", "passed_in_progress is false"]),
            big("rejects", "Отклонено записей", "v_rejects", metric("count(*)", "Записей"), dttm="_loaded_at"),
        ],
        [
            rows("freshness", "Свежесть источников", "dq_source_freshness",
                 ["source", "entity", "last_loaded_at", "last_record_at", "rows_rejected"], "last_loaded_at", width=6),
            series("grey_by_check", "Серые зоны по проверкам", "dq_grey_zones", "check_name",
                   [metric("count(*)", "Случаев")], width=6),
        ],
        [
            rows("rejects_table", "Отклонённые записи", "v_rejects",
                 ["_loaded_at", "source_system", "entity", "source_key", "reason", "raw_text"], "_loaded_at",
                 dttm="_loaded_at"),
        ],
        [
            rows("unmatched_table", "Несопоставленные записи", "dq_unmatched_identities",
                 ["source_system", "entity", "source_key", "reason", "money_rub"], "money_rub"),
            rows("grey_table", "Серые зоны: заявки", "dq_grey_zones",
                 ["check_name", "ticket_id", "personnel_no", "source_system", "detail"], "check_name", desc=False),
        ],
    ],
)

DASHBOARDS = [MANAGER, ENGINEER_DASH, BONUSES, CONTRACTS, FORECAST, DATA_QUALITY]
