"""The charts on pre-aggregated tables (dbt marts/dashboards, through the bi views) answer
what the facts say.

Each chart's saved query context is posted with no period and with day-aligned periods (a few
days; a whole month and the days around it); the answer must equal the chart's original
metric computed on the facts of the fixture (fct_events, fct_tickets, mart_bonus_lines).
"""

from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest

from superset_assets.client import SupersetClient
from warehouse import connect

PERIOD = ("2026-10-01", "2026-10-05")  # [since, until) as Superset's TEMPORAL_RANGE reads it: days only
WIDE = ("2026-09-20", "2026-11-14")  # the whole of October (month/week rows) + the days around it

# chart title -> (label of its metric, original SQL on the facts; {where} is the period or true)
CHARTS = {
    "Выручка, ₽": ("Выручка, ₽", "select sum(revenue_rub) from marts.fct_events where {where}", "occurred_at"),
    "Затраты, ₽": ("Затраты, ₽", "select sum(cost_rub) from marts.fct_events where {where}", "occurred_at"),
    "Маржа, ₽": ("Маржа, ₽", "select coalesce(sum(revenue_rub), 0) - coalesce(sum(cost_rub), 0) from marts.fct_events"
                 " where {where}", "occurred_at"),
    "Открыто заявок": (None, "select count(*) from marts.fct_tickets where {where}", "created_at"),
    "Закрыто заявок": (None, "select count(completed_at) from marts.fct_tickets where {where}", "completed_at"),
    "CSAT (1–5)": (None, "select avg(csat) from marts.fct_tickets where {where}", "completed_at"),
    "SLA решения": (None, "select avg(case when sla_resolution_met then 1.0 when not sla_resolution_met then 0.0 end)"
                    " from marts.fct_tickets where {where}", "completed_at"),
    "Бэклог (открытые)": (None, "select count(*) from marts.fct_tickets where completed_at is null and {where}", None),
    "Премии начислено, ₽": (None, "select sum(amount_rub) from marts.mart_bonus_lines where {where}", "period_start"),
    "Закрыты, минуя «в работе»": (None, "select count(*) from marts.fct_tickets"
                                  " where completed_at is not null and passed_in_progress is false and {where}", None),
}


def _charts(admin: SupersetClient) -> dict[str, dict]:
    out = {}
    for c in admin.list_all("chart", ["id", "slice_name"]):
        out.setdefault(c["slice_name"], admin.get(f"/api/v1/chart/{c['id']}")["result"])
    return out


def _answer(admin: SupersetClient, chart: dict, time_range: str | None) -> tuple[object, str]:
    qc = json.loads(chart["query_context"])
    qc["force"] = True
    if time_range:  # as the dashboard's period filter sends it: the query's range and its filter
        for q in qc["queries"]:
            q["time_range"] = time_range
            for f in q.get("filters", []):
                if f.get("op") == "TEMPORAL_RANGE":
                    f["val"] = time_range
    body = admin.request("POST", "/api/v1/chart/data", json=qc)
    row = body["result"][0]["data"][0]
    return next(iter(row.values())) if len(row) == 1 else row, body["result"][0]["query"]


def _close(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return Decimal(str(a)).quantize(Decimal("0.000001")) == Decimal(str(b)).quantize(Decimal("0.000001"))


@pytest.mark.parametrize("title", sorted(CHARTS))
def test_pre_aggregated_chart_answers_like_the_facts(admin, loaded, superset_warehouse, title):
    _, sql, time_col = CHARTS[title]
    charts = _charts(admin)
    chart = charts[title]
    cases = [(None, "true")]
    if time_col:
        for since, until in (PERIOD, WIDE):
            cases.append((f"{since} : {until}",
                          f"{time_col} >= '{since}'::timestamptz and {time_col} < '{until}'::timestamptz"))
    with connect(superset_warehouse) as conn:
        for time_range, where in cases:
            expected = conn.execute(sql.format(where=where)).fetchone()[0]
            got, query = _answer(admin, chart, time_range)
            assert _close(got, expected), f"{title} ({time_range or 'no period'}): {got} != {expected}\n{query}"
            # a physical dataset: the chart reads a bi view (or a dq mart), and the period reaches its WHERE
            assert re.search(r"FROM (bi\.bi_|marts\.dq_)[a-z_]+", query), query
            assert (time_range is not None) == (f"{time_col} >=" in query), f"{title}: period and WHERE\n{query}"


@pytest.mark.parametrize(("time_range", "team"), [
    (None, None),  # the company-wide weekly rollup
    (None, "Север"),  # a team filter: the per-engineer weekly rows
    (f"{PERIOD[0]} : 2026-11-20", None),
    (f"{WIDE[0]} : {WIDE[1]}", "Север"),
])
def test_weekly_load_bars_equal_the_tickets_per_week(admin, loaded, superset_warehouse, time_range, team):
    chart = _charts(admin)["Нагрузка по неделям за период: создано заявок"]
    qc = json.loads(chart["query_context"])
    qc["force"] = True
    if team:
        for q in qc["queries"]:
            q["filters"].append({"col": "team_name", "op": "IN", "val": [team]})
    if time_range:
        for q in qc["queries"]:
            q["time_range"] = time_range
            for f in q.get("filters", []):
                if f.get("op") == "TEMPORAL_RANGE":
                    f["val"] = time_range
    result = admin.request("POST", "/api/v1/chart/data", json=qc)["result"][0]
    got = {}
    for row in result["data"]:
        (ts,) = [v for k, v in row.items() if k != "Заявок"]
        if int(row["Заявок"]):  # a week with only completions of the filtered engineers: a 0 bar (drawn as none)
            got[int(ts)] = int(row["Заявок"])
    where = "true"
    if time_range:
        since, until = time_range.split(" : ")
        where = f"created_at >= '{since}'::timestamptz and created_at < '{until}'::timestamptz"
    if team:
        where += f" and personnel_no in (select personnel_no from marts.dim_engineers where team_name = '{team}')"
    with connect(superset_warehouse) as conn:
        expected = {
            int(week.timestamp() * 1000): n
            for week, n in conn.execute(
                f"select date_trunc('week', created_at), count(*) from marts.fct_tickets where {where} group by 1"
            ).fetchall()
        }
    assert got == expected, result["query"]
