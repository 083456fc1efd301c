"""The committed bundle tree: valid YAML, consistent UUIDs, no secrets (the tables the datasets
read: test_datasets_are_dbt.py)."""

from __future__ import annotations

import json
import re
import runpy

from superset_assets import BUNDLE_DIR
from superset_assets.bundle import PLACEHOLDER_URI, check_references, read_tree

DASHBOARDS = {
    "manager": "Кабинет руководителя",
    "engineer": "Кабинет инженера",
    "bonuses": "Премии и выплаты",
    "contracts": "Договоры и рентабельность",
    "forecast": "Прогноз нагрузки",
    "data-quality": "Качество данных",
    "quality": "Качество сервиса",
}


def test_bundle_is_valid_yaml_with_consistent_uuids():
    files = read_tree(BUNDLE_DIR)
    assert check_references(files) == []
    kinds = {rel.split("/", 1)[0] for rel in files}
    assert {"databases", "datasets", "charts", "dashboards", "metadata.yaml"} <= kinds


def test_the_seven_dashboards_with_their_russian_titles():
    files = read_tree(BUNDLE_DIR)
    found = {p["slug"]: p["dashboard_title"] for rel, p in files.items() if rel.startswith("dashboards/")}
    assert found == DASHBOARDS


def test_manager_dashboard_has_the_five_native_filters():
    files = read_tree(BUNDLE_DIR)
    manager = next(p for rel, p in files.items() if rel.startswith("dashboards/") and p["slug"] == "manager")
    names = [f["name"] for f in manager["metadata"]["native_filter_configuration"]]
    assert names == ["Период", "Регион", "Команда", "Клиент", "Инженер"]


def test_no_secrets_and_no_instance_ids_in_the_bundle():
    files = read_tree(BUNDLE_DIR)
    for rel, payload in files.items():
        if rel.startswith("databases/"):
            assert payload["sqlalchemy_uri"] == PLACEHOLDER_URI, rel
            assert "password" not in payload, rel
        if rel.startswith("charts/"):
            assert "datasource" not in payload["params"], rel
            qc = json.loads(payload["query_context"])
            assert "datasource" not in qc and "slice_id" not in qc["form_data"], rel
    text = "\n".join(p.read_text() for p in BUNDLE_DIR.rglob("*.yaml"))
    assert "warehouse:warehouse@" not in text


def test_every_chart_has_a_saved_query_context():
    """`/api/v1/chart/<id>/data/` answers only for charts with a saved query context."""
    files = read_tree(BUNDLE_DIR)
    missing = [rel for rel, p in files.items() if rel.startswith("charts/") and not p.get("query_context")]
    assert missing == [], "open the dashboards once with `python -m tools.superset.capture`, then export"


def _chart(title: str) -> dict:
    return next(c for _, c, _ in _charts_with_datasets() if c["slice_name"] == title)


def test_the_live_value_is_on_both_cabinets():
    files = read_tree(BUNDLE_DIR)
    titles = {
        slug: {n["meta"]["sliceName"] for n in files[f"dashboards/{slug}.yaml"]["position"].values()
               if isinstance(n, dict) and n.get("type") == "CHART"}
        for slug in ("engineer", "manager")
    }
    assert {"Премия за месяц: накоплено, ₽", "Прогноз премии на конец месяца, ₽",
            "Мой KPI за текущий месяц: до следующего множителя", "Что взять первым: стоимость открытых заявок (сейчас)"} <= titles["engineer"]
    assert {"Премия инженеров: текущий месяц и прогноз",
            "Открытые заявки инженеров: стоимость и очерёдность (сейчас)"} <= titles["manager"]


def test_the_engineer_takes_tickets_in_take_order_and_reads_roubles():
    chart = _chart("Что взять первым: стоимость открытых заявок (сейчас)")
    params = chart["params"]
    assert params["all_columns"][0] == "take_order"
    assert params["order_by_cols"] == ['["take_order", true]']
    assert json.loads(chart["query_context"])["queries"][0]["orderby"] == [["take_order", True]]
    for col in ("value_now_rub", "value_at_deadline_rub", "at_stake_rub"):
        assert params["column_config"][col]["d3NumberFormat"] == MONEY
    assert params["table_timestamp_format"] == DATETIME


def test_the_managers_month_table_lists_the_highest_projection_first():
    chart = _chart("Премия инженеров: текущий месяц и прогноз")
    assert chart["params"]["all_columns"][0] == "full_name"
    assert json.loads(chart["query_context"])["queries"][0]["orderby"] == [["projected_rub", False]]
    assert chart["params"]["column_config"]["sla_rate"]["d3NumberFormat"] == PERCENT

# Russian formats: the ru D3 locale of superset_config.py turns these into 1 234,56 ₽, 1 234,
# 12,5 and 85,0 %; SMART_NUMBER ignores the locale (1.2k) and an ungrouped `.2f` reads 4468,75.
MONEY, COUNT, HOURS, PERCENT = "$,.2f", ",d", ",.1f", ".1%"
NUMBER_FORMATS = {MONEY, COUNT, HOURS, PERCENT, ",.2f", ",.0f"}
DATE, DATETIME, MONTH = "%d.%m.%Y", "%d.%m.%Y %H:%M", "%B %Y"
INTEGER_TYPES = ("INTEGER", "BIGINT", "SMALLINT")


def _charts_with_datasets():
    files = read_tree(BUNDLE_DIR)
    datasets = {p["uuid"]: p for rel, p in files.items() if rel.startswith("datasets/")}
    for rel, chart in files.items():
        if rel.startswith("charts/"):
            yield rel, chart, datasets[chart["dataset_uuid"]]


def _columns_of(sql: str, dataset: dict) -> list[dict]:
    return [c for c in dataset["columns"] if re.search(rf"\b{re.escape(c['column_name'])}\b", sql)]


def expected_number_format(label: str, sql: str, dataset: dict) -> str | None:
    """What a reader expects of a figure, from its label and the columns it reads."""
    names = [c["column_name"] for c in _columns_of(sql, dataset)]
    if "₽" in label or (names and all(n.endswith("_rub") for n in names)):
        return MONEY
    if any(n.endswith(("_rate", "_ratio", "_share")) or n == "sla_met" for n in names):
        return PERCENT
    if ", ч" in label or label.startswith("Часы") or any(n.endswith("_hours") for n in names):
        return HOURS
    if "count(" in sql.lower() or (names and all(
            (c.get("type") or "").upper() in INTEGER_TYPES for c in _columns_of(sql, dataset))):
        return COUNT
    return None


def chart_number_formats(chart: dict) -> list[tuple[str, str, str | None]]:
    """(label, SQL, the format the chart shows it with) of every figure a chart shows."""
    params = chart["params"]
    viz = chart["viz_type"]
    metrics = params.get("metrics") or ([params["metric"]] if params.get("metric") else [])
    config = params.get("column_config") or {}
    found = []
    for m in metrics:
        label = m["label"].split("__")[0]  # X__yhat* are the forecast band of X
        sql = m.get("sqlExpression") or f"{m.get('aggregate')}({(m.get('column') or {}).get('column_name')})"
        if viz in ("big_number_total", "echarts_timeseries_bar", "echarts_timeseries_line"):
            fmt = params.get("y_axis_format")
        elif viz == "pie":
            fmt = params.get("number_format")
        elif viz == "table":
            fmt = (config.get(m["label"]) or {}).get("d3NumberFormat")
        else:
            continue  # the sites scatter: coordinates
        found.append((label, sql, fmt))
    if viz == "table" and params.get("query_mode") == "raw":
        for col in params.get("all_columns") or []:
            if col.endswith(("_rub", "_hours", "_ratio", "_rate", "_share")):
                found.append((col, col, (config.get(col) or {}).get("d3NumberFormat")))
    return found


def test_every_money_count_hours_and_percent_figure_has_its_russian_format():
    wrong = []
    for rel, chart, dataset in _charts_with_datasets():
        for label, sql, fmt in chart_number_formats(chart):
            want = expected_number_format(label, sql, dataset)
            if (want and fmt != want) or fmt not in NUMBER_FORMATS:
                wrong.append(f"{rel}: {label!r} ({sql}) has {fmt!r}, expected {want or sorted(NUMBER_FORMATS)}")
    assert wrong == []


def test_the_figures_checked_include_the_known_cards():
    by_name = {chart["slice_name"]: chart_number_formats(chart) for _, chart, _ in _charts_with_datasets()}
    assert by_name["Моя премия, ₽"] == [("Премия, ₽", "sum(amount_rub)", MONEY)]
    assert by_name["Бэклог (открытые)"] == [("Бэклог", "count(*)", COUNT)]
    assert ("SLA решения", "avg(sla_resolution_rate)", PERCENT) in by_name["Мои показатели по месяцам (все месяцы)"]
    assert ("Отработано, ч", "sum(hours_worked)", HOURS) in by_name["Мои показатели по месяцам (все месяцы)"]


def test_no_chart_format_is_smart_number_or_iso_dates():
    text = "\n".join(p.read_text(encoding="utf-8") for p in (BUNDLE_DIR / "charts").glob("*.yaml"))
    assert "SMART_NUMBER" not in text
    assert "%Y-%m-%d" not in text


def test_dates_read_dd_mm_yyyy_and_months_by_name():
    wrong = []
    for rel, chart, dataset in _charts_with_datasets():
        params = chart["params"]
        temporal = {c["column_name"] for c in dataset["columns"] if c.get("is_dttm")}
        if chart["viz_type"] == "table":
            config = params.get("column_config") or {}
            shown = (params.get("all_columns") or []) + (params.get("groupby") or [])
            if params.get("table_timestamp_format") not in (DATE, DATETIME, MONTH):
                wrong.append(f"{rel}: table_timestamp_format {params.get('table_timestamp_format')!r}")
            for col in set(shown) & temporal:
                fmt = (config.get(col) or {}).get("d3TimeFormat") or params.get("table_timestamp_format")
                # period_start is the first day of a month everywhere in the marts
                want = (MONTH,) if col == "period_start" else (DATE, DATETIME)
                if fmt not in want:
                    wrong.append(f"{rel}: {col} shown as {fmt!r}, expected {want}")
        elif chart["viz_type"].startswith("echarts_timeseries") and params.get("x_axis") in temporal:
            want = MONTH if params.get("time_grain_sqla") == "P1M" else DATE
            for key in ("x_axis_time_format", "tooltipTimeFormat"):
                if params.get(key) != want:
                    wrong.append(f"{rel}: {key} {params.get(key)!r}, expected {want!r}")
    assert wrong == []


def test_the_engineers_monthly_table_lists_the_newest_month_first():
    chart = next(c for _, c, _ in _charts_with_datasets() if c["slice_name"] == "Мои показатели по месяцам (все месяцы)")
    params, query = chart["params"], json.loads(chart["query_context"])["queries"][0]
    assert params["timeseries_limit_metric"]["sqlExpression"] == "max(period_start)"
    assert params["order_desc"] is True
    assert query["orderby"] == [[params["timeseries_limit_metric"], False]]


def test_superset_speaks_russian_numbers_and_dates(tmp_path, monkeypatch):
    monkeypatch.setenv("SUPERSET_HOME", str(tmp_path))
    monkeypatch.setenv("SUPERSET_SECRET_KEY", "tests-only")
    config = runpy.run_path(str(BUNDLE_DIR.parents[1] / "infra" / "superset" / "superset_config.py"))
    d3 = config["D3_FORMAT"]
    assert (d3["decimal"], d3["grouping"]) == (",", [3])
    assert d3["thousands"] in (" ", "\u00a0")
    assert d3["currency"] == ["", "\u00a0₽"]
    time = config["D3_TIME_FORMAT"]
    assert time["date"] == DATE
    assert time["months"][10] == "ноябрь" and time["shortDays"][1] == "пн"
    assert len(time["months"]) == len(time["shortMonths"]) == 12 and len(time["days"]) == 7


def test_each_dashboard_opens_on_the_period_that_answers_its_first_question():
    files = read_tree(BUNDLE_DIR)
    defaults = {}
    for rel, dash in files.items():
        if rel.startswith("dashboards/"):
            period = next(f for f in dash["metadata"]["native_filter_configuration"] if f["name"] == "Период")
            mask = period["defaultDataMask"]
            assert mask["extraFormData"].get("time_range", "No filter") == mask["filterState"]["value"], rel
            defaults[dash["slug"]] = mask["filterState"]["value"]
    assert defaults == {
        "engineer": "Current month", "manager": "previous calendar month", "bonuses": "previous calendar month",
        "contracts": "previous calendar month", "forecast": "No filter", "data-quality": "No filter",
        # the quality queue and the stuck tickets are what is open now; the period filter narrows them
        "quality": "No filter"}


def test_every_big_number_says_which_period_it_shows():
    files = read_tree(BUNDLE_DIR)
    silent = [chart["slice_name"] for rel, chart in files.items()
              if rel.startswith("charts/") and chart["viz_type"] == "big_number_total"
              and not any(word in (chart["params"].get("subheader") or "") for word in ("период", "сейчас", "сборке"))]
    assert silent == []


def test_docs_list_every_dashboard_chart_and_the_model_it_reads():
    text = (BUNDLE_DIR.parents[1] / "docs" / "superset.md").read_text(encoding="utf-8")
    files = read_tree(BUNDLE_DIR)
    datasets = {p["uuid"]: p for rel, p in files.items() if rel.startswith("datasets/")}
    missing = []
    for rel, chart in files.items():
        if rel.startswith("charts/"):
            ds = datasets[chart["dataset_uuid"]]
            row = f"| {chart['slice_name']} | "
            if not any(line.startswith(row) and f"`{ds['schema']}.{ds['table_name']}`" in line
                       for line in text.splitlines()):
                missing.append(chart["slice_name"])
    assert missing == []
