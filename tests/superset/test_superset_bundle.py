"""The committed bundle tree: valid YAML, consistent UUIDs, no secrets, tables that exist."""

from __future__ import annotations

import json
import re
from pathlib import Path

from superset_assets import BUNDLE_DIR
from superset_assets.bundle import PLACEHOLDER_URI, check_references, read_tree

ROOT = Path(__file__).resolve().parents[2]
DBT = ROOT / "dbt_project"
CONTRACTS = ROOT / "docs" / "contracts.md"
TABLE_REF = re.compile(r"\b(marts|forecasts|payroll|raw_[a-z]+)\.([a-z_][a-z0-9_]*)\b")

DASHBOARDS = {
    "manager": "Кабинет руководителя",
    "engineer": "Кабинет инженера",
    "bonuses": "Премии и выплаты",
    "contracts": "Договоры и рентабельность",
    "forecast": "Прогноз нагрузки",
    "data-quality": "Качество данных",
}


def dbt_models() -> set[str]:
    """Model names of the dbt project: from the manifest when built, else the model files."""
    manifest = DBT / "target" / "manifest.json"
    names: set[str] = set()
    if manifest.exists():
        nodes = json.loads(manifest.read_text())["nodes"].values()
        names |= {n["name"] for n in nodes if n["resource_type"] in ("model", "snapshot", "seed")}
    names |= {p.stem for p in (DBT / "models").rglob("*.sql")}
    return names


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
    assert missing == [], "open the dashboards once with `python -m superset_assets.capture`, then export"


def test_every_dataset_reads_tables_that_exist():
    """marts.* tables are dbt models (manifest or model files); forecasts.*, payroll.* and raw_*
    tables belong to other parts and must be named in docs/contracts.md."""
    files = read_tree(BUNDLE_DIR)
    models = dbt_models()
    contracts = CONTRACTS.read_text(encoding="utf-8")
    problems = []
    for rel, p in files.items():
        if not rel.startswith("datasets/"):
            continue
        refs = TABLE_REF.findall(p["sql"]) if p.get("sql") else [(p["schema"], p["table_name"])]
        assert refs, f"{rel}: reads no table"
        for schema, table in refs:
            if schema == "marts":
                if table not in models:
                    problems.append(f"{rel}: marts.{table} is not a dbt model")
            elif not re.search(rf"`?({schema}\.)?{table}\b", contracts) and f"raw_<source>.{table}" not in contracts:
                problems.append(f"{rel}: {schema}.{table} is not in docs/contracts.md")
    assert problems == []
