"""The forecast screen shows one series' own numbers: the company by default, a region or a
team when chosen in «Ряд прогноза», never a sum over the levels.

The fixture's capacity plan (fixtures/owners_rows.sql) has the company (extra shifts 3 and 0
in the weeks of 23 and 30 November), the region Москва (5 and 2) and its team Север (3 and 4):
summed over the levels the first week would read 11.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from superset_assets.client import SupersetClient

SERIES = {
    "Компания": {"2026-11-23": 3, "2026-11-30": 0},
    "Регион: Москва": {"2026-11-23": 5, "2026-11-30": 2},
    "Команда: Север": {"2026-11-23": 3, "2026-11-30": 4},
}


def _chart(admin: SupersetClient, title: str) -> dict:
    (found,) = [c for c in admin.list_all("chart", ["id", "slice_name"]) if c["slice_name"] == title]
    return admin.get(f"/api/v1/chart/{found['id']}")["result"]


def _series_filter(admin: SupersetClient) -> dict:
    dashboard = admin.get("/api/v1/dashboard/forecast")["result"]
    filters = json.loads(dashboard["json_metadata"])["native_filter_configuration"]
    (series,) = [f for f in filters if f["name"] == "Ряд прогноза"]
    return series


def _day(value: object) -> str:
    if isinstance(value, int | float):  # epoch milliseconds
        return datetime.fromtimestamp(value / 1000, tz=UTC).date().isoformat()
    return date.fromisoformat(str(value)[:10]).isoformat()


def _rows(admin: SupersetClient, title: str, filters: list[dict]) -> list[dict]:
    qc = json.loads(_chart(admin, title)["query_context"])
    qc["force"] = True
    for q in qc["queries"]:
        q["filters"] = [*q.get("filters", []), *filters]
    return admin.request("POST", "/api/v1/chart/data", json=qc)["result"][0]["data"]


def test_the_series_filter_starts_on_the_company_and_cannot_be_emptied(admin, loaded):
    series = _series_filter(admin)
    assert series["defaultDataMask"]["filterState"]["value"] == ["Компания"]
    assert series["defaultDataMask"]["extraFormData"]["filters"] == [
        {"col": "series_name", "op": "IN", "val": ["Компания"]}]
    assert series["controlValues"]["enableEmptyFilter"] is True  # a value is required
    assert series["controlValues"]["multiSelect"] is False


@pytest.mark.parametrize("name", sorted(SERIES))
def test_extra_shifts_are_the_chosen_series_own_values(admin, loaded, name):
    rows = _rows(admin, "Дополнительные смены", [{"col": "series_name", "op": "IN", "val": [name]}])
    got = {_day(r["week_start"]): int(r["Доп. смен"]) for r in rows}
    assert got == SERIES[name]
    assert {r["series_name"] for r in rows} == {name}


def test_extra_shifts_by_default_are_the_company_not_the_sum_of_levels(admin, loaded):
    default = _series_filter(admin)["defaultDataMask"]["extraFormData"]["filters"]
    rows = _rows(admin, "Дополнительные смены", default)
    assert {_day(r["week_start"]): int(r["Доп. смен"]) for r in rows} == {"2026-11-23": 3, "2026-11-30": 0}


def test_without_a_series_every_row_is_one_series_own_value(admin, loaded):
    rows = _rows(admin, "Дополнительные смены", [])
    got = {(r["series_name"], _day(r["week_start"])): int(r["Доп. смен"]) for r in rows}
    assert got == {(name, week): n for name, weeks in SERIES.items() for week, n in weeks.items()}


def test_capacity_of_the_chosen_region_is_its_own(admin, loaded):
    rows = _rows(admin, "Дефицит мощности: прогноз часов против смен",
                 [{"col": "series_name", "op": "IN", "val": ["Регион: Москва"]}])
    by_week = {_day(r["week_start"]): r for r in rows}
    assert sorted(by_week) == ["2026-11-23", "2026-11-30"]
    first = by_week["2026-11-23"]
    forecast = [v for k, v in first.items() if k.startswith("Прогноз, ч")]
    scheduled = [v for k, v in first.items() if k.startswith("По графику, ч")]
    assert forecast == [200] and scheduled == [160]


def test_accuracy_names_the_series_and_models_in_russian(admin, loaded):
    """Under the dashboard's default series (the company), as the series filter sends it."""
    default = _series_filter(admin)["defaultDataMask"]["extraFormData"]["filters"]
    rows = _rows(admin, "Точность прогноза против базовых моделей", default)
    got = {(r["metric_name"], r["series_name"], r["model_name"]): float(r["MAPE"]) for r in rows}
    assert got == {("Заявки", "Компания", "Prophet (прогноз)"): 8.10,
                   ("Заявки", "Компания", "Как прошлая неделя"): 12.00,
                   ("Заявки", "Компания", "Как год назад"): 15.00}
    # the chosen model against the best baseline it beat, and how often its band held
    chosen = [r for r in rows if r["choice_name"] == "выбрана"]
    assert [(r["model_name"], float(r["MASE"]), float(r["MASE лучшей базовой"]), float(r["Охват полосы 80 %"]))
            for r in chosen] == [("Prophet (прогноз)", 0.7, 1.0, 0.81)]
