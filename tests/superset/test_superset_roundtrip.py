"""Import is idempotent; an edit made in Superset comes back as a small readable diff."""

from __future__ import annotations

import difflib
import shutil
from pathlib import Path

from superset_env import DEMO_PASSWORD

from superset_assets import BUNDLE_DIR, SECURITY_FILE
from superset_assets.client import SupersetClient
from superset_assets.loader import export, load


def tree_texts(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): p.read_text(encoding="utf-8") for p in sorted(root.rglob("*.yaml"))}


def changed(a: dict[str, str], b: dict[str, str]) -> list[str]:
    return sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))


def test_import_then_export_reproduces_the_committed_tree(admin: SupersetClient, loaded, tmp_path):
    out = tmp_path / "bundle"
    shutil.copytree(BUNDLE_DIR, out)
    export(admin, out)
    assert changed(tree_texts(BUNDLE_DIR), tree_texts(out)) == []


def test_reimport_changes_nothing(admin: SupersetClient, loaded, superset_warehouse, tmp_path):
    before = {c["uuid"]: c["id"] for c in admin.list_all("chart", ["id", "uuid"])}
    dashboards = {d["uuid"]: d["id"] for d in admin.list_all("dashboard", ["id", "uuid"])}
    again = load(admin, BUNDLE_DIR, SECURITY_FILE, wh_url=superset_warehouse, demo_password=DEMO_PASSWORD)
    assert again == loaded
    assert {c["uuid"]: c["id"] for c in admin.list_all("chart", ["id", "uuid"])} == before
    assert {d["uuid"]: d["id"] for d in admin.list_all("dashboard", ["id", "uuid"])} == dashboards
    out = tmp_path / "bundle"
    shutil.copytree(BUNDLE_DIR, out)
    export(admin, out)
    assert changed(tree_texts(BUNDLE_DIR), tree_texts(out)) == []


def test_a_chart_renamed_in_superset_exports_as_a_one_line_diff(admin: SupersetClient, loaded, tmp_path):
    chart = next(c for c in admin.list_all("chart", ["id", "uuid", "slice_name"]) if c["slice_name"] == "Серые зоны")
    out = tmp_path / "bundle"
    shutil.copytree(BUNDLE_DIR, out)
    admin.put(f"/api/v1/chart/{chart['id']}", {"slice_name": "Серые зоны (все проверки)"})
    try:
        export(admin, out)
    finally:
        admin.put(f"/api/v1/chart/{chart['id']}", {"slice_name": "Серые зоны"})
    before, after = tree_texts(BUNDLE_DIR), tree_texts(out)
    files = changed(before, after)
    assert files == ["charts/data_quality__grey.yaml"]
    diff = [
        line for line in difflib.unified_diff(before[files[0]].splitlines(), after[files[0]].splitlines(), lineterm="")
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    assert diff == ["-slice_name: Серые зоны", "+slice_name: Серые зоны (все проверки)"]


def test_an_edit_of_the_tree_reaches_superset_on_reimport(admin: SupersetClient, loaded, superset_warehouse,
                                                          tmp_path):
    edited = tmp_path / "bundle"
    shutil.copytree(BUNDLE_DIR, edited)
    chart_file = edited / "charts" / "data_quality__grey.yaml"
    chart_file.write_text(chart_file.read_text(encoding="utf-8").replace(
        "slice_name: Серые зоны", "slice_name: Серые зоны (правка в дереве)"), encoding="utf-8")
    dataset_file = edited / "datasets" / "warehouse" / "bi_grey_zones.yaml"
    dataset_file.write_text(dataset_file.read_text(encoding="utf-8").replace(
        "description: Серые зоны", "description: Серые зоны (правка в дереве)"), encoding="utf-8")
    try:
        load(admin, edited, SECURITY_FILE, wh_url=superset_warehouse, demo_password=DEMO_PASSWORD)
        names = {c["slice_name"] for c in admin.list_all("chart", ["slice_name"])}
        assert "Серые зоны (правка в дереве)" in names and "Серые зоны" not in names
        datasets = {d["table_name"]: d for d in admin.list_all("dataset", ["table_name", "description"])}
        assert datasets["bi_grey_zones"]["description"] == "Серые зоны (правка в дереве)"
    finally:
        load(admin, BUNDLE_DIR, SECURITY_FILE, wh_url=superset_warehouse, demo_password=DEMO_PASSWORD)
    names = {c["slice_name"] for c in admin.list_all("chart", ["slice_name"])}
    assert "Серые зоны" in names
