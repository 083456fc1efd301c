"""Latency of every dashboard chart's query, through Superset's chart data API.

A private Superset (own metadata under a temp dir, a free port) is started on the benchmark
database, the committed bundle is imported with the real loader, and each chart's saved query
context is posted to `/api/v1/chart/data` `repeats` times with `force: true` (Superset's
cache bypassed: the figure is the warehouse query plus Superset's own work), after one untimed
request per chart: the first requests of a freshly started and freshly loaded Superset pay its
one-time set-up (the first chart measured had p50 389 ms against 190 ms for its neighbours on
the same dataset). The result is the p50 and p95 per chart.

Each chart is timed as its dashboard opens it: the dashboard's native filters with their
defaults applied (the period), and again with one engineer and with one region chosen in the
dashboard's «Инженер» / «Регион» filters (the engineer with the most tickets and their
region), on the charts whose dataset has that column, as Superset applies a native filter.

`sql_p50_ms` / `sql_p95_ms` time the same chart's SQL (as Superset renders it: `result_type:
"query"`) run directly on the warehouse with psycopg: the warehouse's share, without Superset's
own work (request handling, security, serialisation), which dominates small queries on a busy
machine.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
RUN = ROOT / "infra" / "superset" / "run.sh"
PASSWORD = "bench-admin"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def _sql_latencies(db_url: str, sql: str, repeats: int) -> list[float]:
    import psycopg

    times: list[float] = []
    with psycopg.connect(db_url, autocommit=True) as conn:
        for _ in range(repeats):
            started = time.perf_counter()
            conn.execute(sql).fetchall()
            times.append((time.perf_counter() - started) * 1000)
    return times


def _rendered_sql(client: Any, qc: dict[str, Any]) -> str | None:
    body = client.request("POST", "/api/v1/chart/data", json={**qc, "result_type": "query"})
    queries = [r.get("query") for r in body.get("result", []) if r.get("query")]
    return ";\n".join(queries) if len(queries) == 1 else None


def _time_chart(client: Any, qc: dict[str, Any], repeats: int) -> dict[str, Any]:
    """p50 / p95 of `repeats` chart data requests, after one untimed request (the figure is a
    user's, not the freshly started server's); a broken chart is a finding, not the end."""
    from superset_assets.client import SupersetError

    with contextlib.suppress(SupersetError):
        client.request("POST", "/api/v1/chart/data", json=qc)
    times: list[float] = []
    error = None
    for _ in range(repeats):
        started = time.perf_counter()
        try:
            client.request("POST", "/api/v1/chart/data", json=qc)
        except SupersetError as exc:
            error = str(exc)[:300]
            break
        times.append((time.perf_counter() - started) * 1000)
    return {"p50_ms": round(statistics.median(times), 1) if times else None,
            "p95_ms": round(_percentile(times, 0.95), 1) if times else None, "error": error}


def _native_filters(client: Any, dashboard_id: int) -> list[dict[str, Any]]:
    """A dashboard's native filters as (kind, column, default): the period's default time range
    and the select filters' columns with their default values (usually none)."""
    meta = json.loads(client.get(f"/api/v1/dashboard/{dashboard_id}")["result"].get("json_metadata") or "{}")
    out = []
    for f in meta.get("native_filter_configuration", []):
        extra = (f.get("defaultDataMask") or {}).get("extraFormData") or {}
        if f.get("filterType") == "filter_time":
            out.append({"kind": "time", "column": None, "default": extra.get("time_range")})
        elif f.get("filterType") == "filter_select":
            column = next((t.get("column", {}).get("name") for t in f.get("targets", []) if t.get("column")), None)
            default = next((x.get("val") for x in extra.get("filters", []) if x.get("col") == column), None)
            out.append({"kind": "select", "column": column, "default": default})
    return out


def _dataset_columns(client: Any, dataset_id: int | None) -> set[str]:
    if dataset_id is None:
        return set()
    return {c["column_name"] for c in client.get(f"/api/v1/dataset/{dataset_id}")["result"].get("columns", [])}


def _with_filters(qc: dict[str, Any], native: list[dict[str, Any]], columns: set[str],
                  chosen: dict[str, str]) -> dict[str, Any]:
    """The chart's query as the dashboard sends it: the period filter's time range on the
    chart's time filter, and each select filter (its default or the `chosen` value) on the
    charts whose dataset has its column, as Superset's native filters apply them."""
    qc = json.loads(json.dumps(qc))
    time_range = next((f["default"] for f in native if f["kind"] == "time" and f["default"]), None)
    adds = []
    for f in native:
        value = chosen.get(f["column"]) if f["kind"] == "select" else None
        value = value if value is not None else (f["default"] if f["kind"] == "select" else None)
        if value is not None and f["column"] in columns:
            adds.append({"col": f["column"], "op": "IN", "val": value if isinstance(value, list) else [value]})
    for q in qc.get("queries", []):
        if time_range:
            q["time_range"] = time_range
            for flt in q.get("filters", []):
                if flt.get("op") == "TEMPORAL_RANGE":
                    flt["val"] = time_range
        q["filters"] = [*q.get("filters", []), *adds]
    return qc


def _filter_values(db_url: str) -> dict[str, str]:
    """An engineer and a region to filter by: the engineer with the most tickets and their region."""
    import psycopg

    with psycopg.connect(db_url, autocommit=True) as conn:
        row = conn.execute("""
            select e.full_name, e.region_name from marts.dim_engineers e
            join marts.fct_tickets t on t.personnel_no = e.personnel_no
            group by e.full_name, e.region_name order by count(*) desc limit 1""").fetchone()
    return {"full_name": row[0], "region_name": row[1]} if row else {}


def chart_latencies(db_url: str, repeats: int = 20, sql_timing: bool = True) -> dict[str, Any]:
    from superset_assets import BUNDLE_DIR, SECURITY_FILE
    from superset_assets.client import SupersetClient
    from superset_assets.loader import load

    home = Path(tempfile.mkdtemp(prefix="bench-superset-"))
    env = {**os.environ, "SUPERSET_HOME": str(home), "SUPERSET_SECRET_KEY": "bench-only-secret",
           "SUPERSET_ADMIN_PASSWORD": PASSWORD}
    env.pop("SUPERSET_DATABASE_URI", None)
    subprocess.run([str(RUN), "init"], env=env, check=True, capture_output=True)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = (home / "server.log").open("w")
    proc = subprocess.Popen([str(RUN), "serve", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 300
        while True:
            try:
                if httpx.get(f"{url}/health", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"bench Superset did not start; log {home / 'server.log'}")
            time.sleep(1)
        client = SupersetClient(url, "admin", PASSWORD)
        load(client, BUNDLE_DIR, SECURITY_FILE, wh_url=db_url, demo_password="bench")
        dashboards = {d["id"]: d["dashboard_title"] for d in client.list_all("dashboard", ["id", "dashboard_title"])}
        filters = {i: _native_filters(client, i) for i in dashboards}
        picks = _filter_values(db_url)
        columns: dict[int, set[str]] = {}
        charts = [client.get(f"/api/v1/chart/{c['id']}")["result"] for c in client.list_all("chart", ["id"])]
        out = []
        for chart in charts:
            if not chart.get("query_context"):
                continue
            saved = json.loads(chart["query_context"])
            saved["force"] = True
            dash_ids = [d["id"] for d in chart.get("dashboards") or []]
            ds = saved.get("datasource", {}).get("id")
            if ds not in columns:
                columns[ds] = _dataset_columns(client, ds)
            row: dict[str, Any] = {"dashboard": ", ".join(dashboards.get(i, str(i)) for i in dash_ids) or "-",
                                   "chart": chart["slice_name"]}
            # as a user sees it: the dashboard's default filters (its period), then the same with
            # one engineer and with one region chosen in the dashboard's filters
            native = filters.get(dash_ids[0], []) if dash_ids else []
            opened = _with_filters(saved, native, columns[ds], {})
            variants = {"": opened}
            for name, column in (("engineer", "full_name"), ("region", "region_name")):
                if picks.get(column) and column in columns[ds] and any(f["column"] == column for f in native):
                    variants[name] = _with_filters(saved, native, columns[ds], {column: picks[column]})
            for name, qc in variants.items():
                timed = _time_chart(client, qc, repeats if not name else max(3, repeats // 2))
                prefix = f"{name}_" if name else ""
                row[f"{prefix}p50_ms"], row[f"{prefix}p95_ms"] = timed["p50_ms"], timed["p95_ms"]
                if timed["error"] or not name:
                    row[f"{prefix}error"] = timed["error"]
            sql_times: list[float] = []
            sql_error = None
            if sql_timing and row["error"] is None:
                try:
                    sql = _rendered_sql(client, opened)
                    if sql:
                        sql_times = _sql_latencies(db_url, sql, repeats)
                except Exception as exc:  # noqa: BLE001 - the API figure above stands on its own
                    sql_error = str(exc)[:300]
            row["sql_p50_ms"] = round(statistics.median(sql_times), 1) if sql_times else None
            row["sql_p95_ms"] = round(_percentile(sql_times, 0.95), 1) if sql_times else None
            if sql_error:
                row["sql_error"] = sql_error
            # the slowest of what a user can do with the chart: opened, an engineer, a region
            row["worst_p95_ms"] = max((row.get(f"{p}p95_ms") or 0 for p in ("", "engineer_", "region_")),
                                      default=None) or None
            out.append(row)
        out.sort(key=lambda c: -(c["worst_p95_ms"] or 0))
        return {"charts": out}
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()
        shutil.rmtree(home, ignore_errors=True)
