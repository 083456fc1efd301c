"""The bundle tree on disk: pack it for import, and normalise an export back into it.

Normalisation makes an export reviewable as a diff: keys sorted, dataset columns and
metrics sorted by name, ids (which differ between Superset instances) removed, the
warehouse URI replaced by a placeholder (the loader fills it from WAREHOUSE_URL), and
every object keeps the file name it already has in the tree (matched by UUID).
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

PLACEHOLDER_URI = "postgresql+psycopg2://warehouse:XXXXXXXXXX@set-from-WAREHOUSE_URL:5432/warehouse"
METADATA = {"version": "1.0.0", "type": "Dashboard", "timestamp": "2026-01-01T00:00:00+00:00"}
KINDS = ("databases", "datasets", "charts", "dashboards")
# Dashboard metadata keyed by chart ids, or recomputed by Superset: volatile across instances.
VOLATILE_DASHBOARD_METADATA = (
    "chart_configuration", "global_chart_configuration", "positions", "shared_label_colors",
    "map_label_colors", "color_scheme_domain", "expanded_slices", "filter_scopes",
    "timed_refresh_immune_slices", "default_filters", "color_namespace",
)
VOLATILE_CHART_PARAMS = ("datasource", "slice_id", "chart_id", "dashboards", "url_params", "dashboardId")

_TRANSLIT = dict(zip(
    "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
    ["a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "y", "k", "l", "m", "n", "o", "p", "r", "s", "t",
     "u", "f", "h", "ts", "ch", "sh", "sch", "", "y", "", "e", "yu", "ya"],
    strict=True,
))


class BundleError(ValueError):
    """The bundle tree is not valid: names the file and what is wrong."""


def slugify(text: str) -> str:
    ascii_text = "".join(_TRANSLIT.get(ch, ch) for ch in text.lower())
    return re.sub(r"[^a-z0-9]+", "_", ascii_text).strip("_") or "unnamed"


class _Dumper(yaml.SafeDumper):
    """Multi-line strings (SQL, query contexts) as literal blocks: readable diffs."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def dump_yaml(payload: Any) -> str:
    return yaml.dump(payload, Dumper=_Dumper, sort_keys=True, allow_unicode=True, width=100)


def _normalise_query_context(text: str | None) -> str | None:
    """Drop the ids of one instance (the importer puts the new ones back); pretty JSON."""
    if not text:
        return None
    qc = json.loads(text)
    qc.pop("datasource", None)
    form_data = qc.get("form_data") or {}
    for key in VOLATILE_CHART_PARAMS:
        form_data.pop(key, None)
    for query in qc.get("queries", []):
        query.pop("datasource", None)
    return json.dumps(qc, sort_keys=True, indent=1, ensure_ascii=False)


def read_tree(root: Path) -> dict[str, dict[str, Any]]:
    """Every YAML file of the tree, by its relative path; raises BundleError on bad YAML."""
    files: dict[str, dict[str, Any]] = {}
    for path in sorted(root.rglob("*.yaml")):
        rel = path.relative_to(root).as_posix()
        try:
            payload = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise BundleError(f"{path}: not valid YAML: {exc}") from exc
        if not isinstance(payload, dict):
            raise BundleError(f"{path}: expected a mapping at the top level")
        files[rel] = payload
    if "metadata.yaml" not in files:
        raise BundleError(f"{root}: metadata.yaml is missing")
    return files


def pack(root: Path, sqlalchemy_uri: str) -> bytes:
    """A zip for /api/v1/assets/import/ with the warehouse URI filled in."""
    files = read_tree(root)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for rel, payload in files.items():
            if rel.startswith("databases/"):
                payload = {**payload, "sqlalchemy_uri": sqlalchemy_uri}
            if rel == "metadata.yaml":
                payload = {**payload, "type": "assets"}
            zf.writestr(f"bundle/{rel}", yaml.safe_dump(payload, sort_keys=False, allow_unicode=True))
    return buf.getvalue()


def _normalise_chart(payload: dict[str, Any]) -> dict[str, Any]:
    payload["query_context"] = _normalise_query_context(payload.get("query_context"))
    params = payload.get("params") or {}
    for key in VOLATILE_CHART_PARAMS:
        params.pop(key, None)
    payload["params"] = params
    return payload


def _normalise_dashboard(payload: dict[str, Any]) -> dict[str, Any]:
    for node in (payload.get("position") or {}).values():
        if isinstance(node, dict) and node.get("type") == "CHART":
            node.setdefault("meta", {})["chartId"] = 0
    metadata = payload.get("metadata") or {}
    for key in VOLATILE_DASHBOARD_METADATA:
        metadata.pop(key, None)
    for flt in metadata.get("native_filter_configuration", []):
        flt.pop("chartsInScope", None)
        flt.pop("tabsInScope", None)
    payload["metadata"] = metadata
    return payload


def _normalise_dataset(payload: dict[str, Any]) -> dict[str, Any]:
    payload["columns"] = sorted(payload.get("columns") or [], key=lambda c: c["column_name"])
    payload["metrics"] = sorted(payload.get("metrics") or [], key=lambda m: m["metric_name"])
    return payload


def normalise(rel: str, payload: dict[str, Any]) -> dict[str, Any]:
    kind = rel.split("/", 1)[0]
    if rel == "metadata.yaml":
        return dict(METADATA)
    if kind == "databases":
        payload["sqlalchemy_uri"] = PLACEHOLDER_URI
        payload.pop("password", None)
    elif kind == "datasets":
        payload = _normalise_dataset(payload)
    elif kind == "charts":
        payload = _normalise_chart(payload)
    elif kind == "dashboards":
        payload = _normalise_dashboard(payload)
    return payload


def _default_name(kind: str, payload: dict[str, Any], database_names: dict[str, str]) -> str:
    if kind == "databases":
        return f"databases/{slugify(payload['database_name'])}.yaml"
    if kind == "datasets":
        db = database_names.get(str(payload.get("database_uuid")), "database")
        return f"datasets/{slugify(db)}/{payload['table_name']}.yaml"
    if kind == "charts":
        return f"charts/{slugify(payload['slice_name'])}.yaml"
    return f"dashboards/{slugify(payload.get('slug') or payload['dashboard_title'])}.yaml"


def unpack_export(zip_bytes: bytes, tree: Path) -> list[str]:
    """Write a Superset export zip into `tree`, normalised; return the paths written.

    Files of the tree that are not in the export (deleted in the UI) are removed.
    """
    existing = read_tree(tree) if (tree / "metadata.yaml").exists() else {}
    by_uuid = {str(p.get("uuid")): rel for rel, p in existing.items() if p.get("uuid")}
    exported: dict[str, dict[str, Any]] = {}
    with zipfile.ZipFile(io.BytesIO(zip_bytes)) as zf:
        for name in zf.namelist():
            parts = PurePosixPath(name).parts
            if not name.endswith(".yaml") or len(parts) < 2:
                continue
            rel = "/".join(parts[1:])  # drop the export's top-level folder
            exported[rel] = yaml.safe_load(zf.read(name))
    database_names = {
        str(p["uuid"]): p["database_name"] for rel, p in exported.items() if rel.startswith("databases/")
    }
    out: dict[str, str] = {}
    for rel, payload in exported.items():
        kind = rel.split("/", 1)[0]
        if rel != "metadata.yaml" and kind not in KINDS:
            continue  # themes, tags: not part of the product's bundle
        payload = normalise(rel, payload)
        target = rel if rel == "metadata.yaml" else by_uuid.get(str(payload.get("uuid"))) or _default_name(
            kind, payload, database_names
        )
        if target in out:  # a new object named like another one
            target = target.removesuffix(".yaml") + f"_{str(payload.get('uuid'))[:8]}.yaml"
        out[target] = dump_yaml(payload)
    for rel in existing:
        if rel not in out:
            (tree / rel).unlink()
    for rel, text in out.items():
        path = tree / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
    return sorted(out)


def check_references(files: dict[str, dict[str, Any]]) -> list[str]:
    """Problems with the UUID cross-references of a tree (empty list = consistent)."""
    problems: list[str] = []
    uuids: dict[str, dict[str, str]] = {kind: {} for kind in KINDS}
    for rel, payload in files.items():
        kind = rel.split("/", 1)[0]
        if kind not in KINDS:
            continue
        u = str(payload.get("uuid") or "")
        if not u:
            problems.append(f"{rel}: no uuid")
            continue
        for other_kind, seen in uuids.items():
            if u in seen:
                problems.append(f"{rel}: uuid {u} already used by {seen[u]} ({other_kind})")
        uuids[kind][u] = rel
    for rel, payload in files.items():
        kind = rel.split("/", 1)[0]
        if kind == "datasets" and str(payload.get("database_uuid")) not in uuids["databases"]:
            problems.append(f"{rel}: database_uuid {payload.get('database_uuid')} matches no database")
        if kind == "charts" and str(payload.get("dataset_uuid")) not in uuids["datasets"]:
            problems.append(f"{rel}: dataset_uuid {payload.get('dataset_uuid')} matches no dataset")
        if kind == "dashboards":
            for node in (payload.get("position") or {}).values():
                if isinstance(node, dict) and node.get("type") == "CHART":
                    cu = str(node.get("meta", {}).get("uuid"))
                    if cu not in uuids["charts"]:
                        problems.append(f"{rel}: chart {cu} in position matches no chart")
            for flt in (payload.get("metadata") or {}).get("native_filter_configuration", []):
                for target in flt.get("targets", []):
                    du = target.get("datasetUuid")
                    if du and str(du) not in uuids["datasets"]:
                        problems.append(f"{rel}: filter {flt.get('name')!r} targets unknown dataset {du}")
    return problems
