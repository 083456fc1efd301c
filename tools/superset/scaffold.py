"""Scaffold: write a first draft of the bundle tree from compact Python definitions.

This is a development tool, not the source of truth. The committed tree under
`superset_assets/bundle/` is what Superset exports (normalised by the loader); the usual
workflow is to edit dashboards in the UI and run `make superset-export`. The scaffold was
used to create the six dashboards and can draft new ones:

    .venv/bin/python -m tools.superset.scaffold --introspect-url postgresql://.../db --out DIR

It needs a database holding the contract-shaped tables (tests/superset/fixtures/*.sql) to
read each dataset's columns and types. Then import DIR, export, and commit the export.
"""

from __future__ import annotations

import argparse
import re
import uuid
from pathlib import Path
from typing import Any

import yaml

from tools.superset.scaffold_charts import DASHBOARDS, ChartSpec, DashboardSpec
from tools.superset.scaffold_datasets import DATASETS, VERBOSE, DatasetSpec
from warehouse import connect

NAMESPACE = uuid.UUID("5b0f3c2e-7a43-4d8e-9d7e-2f7c1a9e6b10")
DATABASE_NAME = "warehouse"
PLACEHOLDER_URI = "postgresql+psycopg2://warehouse:XXXXXXXXXX@set-from-WAREHOUSE_URL:5432/warehouse"
VERSION = "1.0.0"


def uid(kind: str, key: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{kind}:{key}"))


def _dump(path: Path, payload: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(payload, sort_keys=False, allow_unicode=True))


def _columns(conn, spec: DatasetSpec) -> list[dict[str, Any]]:
    sql = spec.sql or f"select * from {spec.schema}.{spec.key}"
    sql = sql.replace("{{ approvals_url() }}", "http://x")
    cur = conn.execute(f"select * from ({sql}) q limit 0")
    oids = [d.type_code for d in cur.description]
    names = [d.name for d in cur.description]
    types = {
        row[0]: row[1]
        for row in conn.execute("select oid, format_type(oid, null) from pg_type where oid = any(%s)", (oids,))
    }
    out = []
    for name, oid in zip(names, oids, strict=True):
        type_name = types[oid].upper()
        out.append(
            {
                "column_name": name,
                "verbose_name": VERBOSE.get(name),
                "is_dttm": type_name.startswith(("TIMESTAMP", "DATE")) and not type_name.endswith("[]"),
                "is_active": True,
                "type": type_name,
                "groupby": True,
                "filterable": True,
                "expression": None,
                "description": None,
                "python_date_format": None,
                "extra": {},
            }
        )
    return out


def write_database(out: Path) -> None:
    _dump(
        out / "databases" / "warehouse.yaml",
        {
            "database_name": DATABASE_NAME,
            "sqlalchemy_uri": PLACEHOLDER_URI,
            "cache_timeout": None,
            "expose_in_sqllab": True,
            "allow_run_async": False,
            "allow_ctas": False,
            "allow_cvas": False,
            "allow_dml": False,
            "allow_csv_upload": False,
            "extra": {"allows_virtual_table_explore": True},
            "impersonate_user": False,
            "uuid": uid("database", DATABASE_NAME),
            "version": VERSION,
        },
    )


def write_dataset(out: Path, conn, spec: DatasetSpec) -> None:
    _dump(
        out / "datasets" / DATABASE_NAME / f"{spec.key}.yaml",
        {
            "table_name": spec.key,
            "main_dttm_col": spec.dttm,
            "description": spec.description or None,
            "default_endpoint": None,
            "offset": 0,
            "cache_timeout": None,
            "schema": spec.schema,
            "sql": spec.sql,
            "params": None,
            "template_params": None,
            "filter_select_enabled": True,
            "fetch_values_predicate": None,
            "extra": None,
            "normalize_columns": False,
            "always_filter_main_dttm": False,
            "uuid": uid("dataset", spec.key),
            "metrics": [
                {
                    "metric_name": "count",
                    "verbose_name": "Количество",
                    "metric_type": "count",
                    "expression": "COUNT(*)",
                    "description": None,
                    "d3format": None,
                    "extra": {},
                    "warning_text": None,
                }
            ],
            "columns": _columns(conn, spec),
            "version": VERSION,
            "database_uuid": uid("database", DATABASE_NAME),
        },
    )


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def write_chart(out: Path, dash: DashboardSpec, chart: ChartSpec) -> str:
    key = f"{dash.slug}:{chart.key}"
    chart_uuid = uid("chart", key)
    _dump(
        out / "charts" / f"{_slug(dash.slug)}__{chart.key}.yaml",
        {
            "slice_name": chart.title,
            "description": chart.description,
            "certified_by": None,
            "certification_details": None,
            "viz_type": chart.viz_type,
            "params": chart.params(),
            "query_context": None,
            "cache_timeout": None,
            "uuid": chart_uuid,
            "version": VERSION,
            "dataset_uuid": uid("dataset", chart.dataset),
        },
    )
    return chart_uuid


def _position(dash: DashboardSpec, chart_uuids: dict[str, str]) -> dict[str, Any]:
    pos: dict[str, Any] = {
        "DASHBOARD_VERSION_KEY": "v2",
        "ROOT_ID": {"children": ["GRID_ID"], "id": "ROOT_ID", "type": "ROOT"},
        "GRID_ID": {"children": [], "id": "GRID_ID", "parents": ["ROOT_ID"], "type": "GRID"},
        "HEADER_ID": {"id": "HEADER_ID", "meta": {"text": dash.title}, "type": "HEADER"},
    }
    for i, row in enumerate(dash.rows):
        row_id = f"ROW-{dash.slug}-{i}"
        pos["GRID_ID"]["children"].append(row_id)
        pos[row_id] = {
            "children": [],
            "id": row_id,
            "meta": {"background": "BACKGROUND_TRANSPARENT"},
            "parents": ["ROOT_ID", "GRID_ID"],
            "type": "ROW",
        }
        width = 12 // len(row)
        for chart in row:
            chart_id = f"CHART-{dash.slug}-{chart.key}"
            pos[row_id]["children"].append(chart_id)
            pos[chart_id] = {
                "children": [],
                "id": chart_id,
                "meta": {
                    "chartId": 0,
                    "height": chart.height,
                    "sliceName": chart.title,
                    "uuid": chart_uuids[chart.key],
                    "width": chart.width or width,
                },
                "parents": ["ROOT_ID", "GRID_ID", row_id],
                "type": "CHART",
            }
    return pos


def write_dashboard(out: Path, dash: DashboardSpec) -> None:
    chart_uuids = {c.key: write_chart(out, dash, c) for row in dash.rows for c in row}
    metadata = {
        "native_filter_configuration": [f.config(uid) for f in dash.filters],
        "cross_filters_enabled": False,
        "color_scheme": "supersetColors",
        "label_colors": dash.label_colors,
        "refresh_frequency": 0,
        "timed_refresh_immune_slices": [],
        "expanded_slices": {},
        "color_scheme_domain": [],
        "shared_label_colors": [],
    }
    _dump(
        out / "dashboards" / f"{_slug(dash.slug)}.yaml",
        {
            "dashboard_title": dash.title,
            "description": None,
            "css": "",
            "slug": dash.slug,
            "certified_by": None,
            "certification_details": None,
            "published": True,
            "uuid": uid("dashboard", dash.slug),
            "position": _position(dash, chart_uuids),
            "metadata": metadata,
            "version": VERSION,
        },
    )


def scaffold(out: Path, introspect_url: str) -> None:
    _dump(out / "metadata.yaml", {"version": VERSION, "type": "Dashboard", "timestamp": "2026-01-01T00:00:00+00:00"})
    write_database(out)
    with connect(introspect_url) as conn:
        for spec in DATASETS:
            write_dataset(out, conn, spec)
    for dash in DASHBOARDS:
        write_dashboard(out, dash)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--introspect-url", required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    scaffold(args.out, args.introspect_url)


if __name__ == "__main__":
    main()
