"""The committed bundle tree: valid YAML, consistent UUIDs, no secrets (the tables the datasets
read: test_datasets_are_dbt.py)."""

from __future__ import annotations

import json

from superset_assets import BUNDLE_DIR
from superset_assets.bundle import PLACEHOLDER_URI, check_references, read_tree

DASHBOARDS = {
    "manager": "Кабинет руководителя",
    "engineer": "Кабинет инженера",
    "bonuses": "Премии и выплаты",
    "contracts": "Договоры и рентабельность",
    "forecast": "Прогноз нагрузки",
    "data-quality": "Качество данных",
}


def test_bundle_is_valid_yaml_with_consistent_uuids():
    files = read_tree(BUNDLE_DIR)
    assert check_references(files) == []
    kinds = {rel.split("/", 1)[0] for rel in files}
    assert {"databases", "datasets", "charts", "dashboards", "metadata.yaml"} <= kinds


def test_the_six_dashboards_with_their_russian_titles():
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
