"""Every Superset dataset is a table or view built by dbt, and dbt's exposures name exactly
what each dashboard reads. No Superset and no database: the committed bundle against the
manifest of `dbt parse` (written to a temporary target path).

Rules checked:
- a dataset is physical (no SQL of its own) and its `schema.table_name` is the relation of a
  dbt model; never a dbt source directly: a table another part writes (forecasts.*,
  payroll.*) is declared as a source and read through a model's view;
- the exposure of each dashboard (`dashboard_<slug>`) depends on exactly the models of the
  datasets behind its charts and its native filters (what the dashboard reads, and what its
  roles are granted: superset_assets/security.py);
- every dataset a role with row-level security can open has that role's RLS column.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

import warehouse
from superset_assets import BUNDLE_DIR, SECURITY_FILE
from superset_assets.bundle import read_tree

ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT = ROOT / "dbt_project"
DBT = Path(sys.executable).parent / "dbt"


@pytest.fixture(scope="module")
def manifest(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    target = tmp_path_factory.mktemp("dbt_target")
    cache = DBT_PROJECT / "target" / "partial_parse.msgpack"
    if cache.exists():  # dbt's parse cache, copied: the project's own target is left alone
        shutil.copy2(cache, target / cache.name)
    done = subprocess.run(
        [str(DBT), "parse", "--quiet", "--project-dir", str(DBT_PROJECT), "--profiles-dir", str(DBT_PROJECT),
         "--target-path", str(target)],
        env={**os.environ, **warehouse.dbt_env(), "DBT_SEND_ANONYMOUS_USAGE_STATS": "False"}, capture_output=True, text=True,
        timeout=600, check=False,
    )
    assert done.returncode == 0, f"dbt parse failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return json.loads((target / "manifest.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def bundle() -> dict[str, dict[str, Any]]:
    return read_tree(BUNDLE_DIR)


def relations(manifest: dict[str, Any], resource_type: str) -> dict[tuple[str, str], dict[str, Any]]:
    """{(schema, relation name): node} of the manifest's models or sources."""
    if resource_type == "source":
        return {(n["schema"], n["identifier"] or n["name"]): n for n in manifest["sources"].values()}
    return {(n["schema"], n["alias"] or n["name"]): n for n in manifest["nodes"].values()
            if n["resource_type"] == resource_type}


def datasets(bundle: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {p["uuid"]: p | {"_file": rel} for rel, p in bundle.items() if rel.startswith("datasets/")}


def dashboard_datasets(bundle: dict[str, dict[str, Any]]) -> dict[str, set[str]]:
    """{slug: uuids of the datasets behind its charts and native filters}."""
    chart_dataset = {p["uuid"]: p["dataset_uuid"] for rel, p in bundle.items() if rel.startswith("charts/")}
    out: dict[str, set[str]] = {}
    for rel, p in bundle.items():
        if not rel.startswith("dashboards/"):
            continue
        used = {chart_dataset[v["meta"]["uuid"]] for v in p["position"].values()
                if isinstance(v, dict) and v.get("type") == "CHART"}
        for flt in p["metadata"].get("native_filter_configuration", []):
            used |= {t["datasetUuid"] for t in flt.get("targets", []) if t.get("datasetUuid")}
        out[p["slug"]] = used
    return out


def test_every_dataset_is_a_physical_dbt_model(manifest, bundle):
    models = relations(manifest, "model")
    sources = relations(manifest, "source")
    problems = []
    for ds in datasets(bundle).values():
        where = (ds["schema"], ds["table_name"])
        if (ds.get("sql") or "").strip():
            problems.append(f"{ds['_file']}: virtual (SQL in the dataset): move it into a dbt model")
        elif where in sources:
            problems.append(f"{ds['_file']}: reads the dbt source {'.'.join(where)} directly: put a model's view over it")
        elif where not in models:
            problems.append(f"{ds['_file']}: {'.'.join(where)} is not a dbt model")
    assert problems == []


def test_the_sources_dashboards_need_are_read_through_views(manifest):
    """forecasts.* and payroll.* are dbt sources, and the models over them are views."""
    sources = {n["unique_id"]: n for n in manifest["sources"].values() if n["source_name"] in ("forecasts", "payroll")}
    assert {(n["source_name"], n["name"]) for n in sources.values()} >= {
        ("forecasts", "weekly_actuals"), ("forecasts", "weekly_forecast"), ("forecasts", "capacity_plan"),
        ("forecasts", "forecast_accuracy"), ("payroll", "bonus_approvals")}
    readers = [n for n in manifest["nodes"].values()
               if n["resource_type"] == "model" and set(n["depends_on"]["nodes"]) & set(sources)]
    assert readers, "no model reads the forecasts / payroll sources"
    assert {n["name"]: n["config"]["materialized"] for n in readers} == {n["name"]: "view" for n in readers}


def test_each_dashboard_exposure_names_exactly_the_models_it_reads(manifest, bundle):
    models = relations(manifest, "model")
    by_uuid = datasets(bundle)
    exposures = {e["name"]: e for e in manifest["exposures"].values()}
    expected_names = set()
    for slug, uuids in sorted(dashboard_datasets(bundle).items()):
        name = f"dashboard_{slug.replace('-', '_')}"
        expected_names.add(name)
        assert name in exposures, f"no dbt exposure {name} for the dashboard {slug}"
        read = {models[(by_uuid[u]["schema"], by_uuid[u]["table_name"])]["unique_id"] for u in uuids}
        declared = set(exposures[name]["depends_on"]["nodes"])
        assert declared == read, (
            f"{name}: exposure lists {sorted(declared - read)} that the dashboard does not read, "
            f"misses {sorted(read - declared)}")
        assert exposures[name]["url"].rstrip("/").endswith(f"/dashboard/{slug}")
    assert {n for n, e in exposures.items() if e["type"] == "dashboard"} == expected_names


def test_every_dataset_of_a_role_with_row_level_security_has_its_column(bundle):
    spec = yaml.safe_load(SECURITY_FILE.read_text(encoding="utf-8"))
    by_uuid = datasets(bundle)
    behind = dashboard_datasets(bundle)
    problems = []
    for role, conf in spec["roles"].items():
        column = conf.get("rls_column")
        if not column:
            continue
        for slug in conf.get("dashboards", []):
            for u in behind[slug]:
                if column not in {c["column_name"] for c in by_uuid[u]["columns"]}:
                    problems.append(f"{role}: {by_uuid[u]['table_name']} (dashboard {slug}) has no {column}")
    assert problems == []
