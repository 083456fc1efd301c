"""Latency of every dashboard chart's query, through Superset's chart data API.

A private Superset (own metadata under a temp dir, a free port) is started on the benchmark
database, the committed bundle is imported with the real loader, and each chart's saved query
context is posted to `/api/v1/chart/data` `repeats` times with `force: true` (Superset's
cache bypassed: the figure is the warehouse query plus Superset's own work), after one untimed
request per chart: the first requests of a freshly started and freshly loaded Superset pay its
one-time set-up (the first chart measured had p50 389 ms against 190 ms for its neighbours on
the same dataset in the 2026-11-22 20:09 run). The result is the p50 and p95 per chart.

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


def chart_latencies(db_url: str, repeats: int = 20, sql_timing: bool = True) -> dict[str, Any]:
    from superset_assets import BUNDLE_DIR, SECURITY_FILE
    from superset_assets.client import SupersetClient, SupersetError
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
        charts = [client.get(f"/api/v1/chart/{c['id']}")["result"] for c in client.list_all("chart", ["id"])]
        out = []
        for chart in charts:
            if not chart.get("query_context"):
                continue
            qc = json.loads(chart["query_context"])
            qc["force"] = True
            times: list[float] = []
            error = None
            # one untimed request first: the figure is a user's, not the freshly started server's
            # (an error is recorded by the timed loop below)
            with contextlib.suppress(SupersetError):
                client.request("POST", "/api/v1/chart/data", json=qc)
            for _ in range(repeats):
                started = time.perf_counter()
                try:
                    client.request("POST", "/api/v1/chart/data", json=qc)
                except SupersetError as exc:  # a broken chart is a finding, not the end of the bench
                    error = str(exc)[:300]
                    break
                times.append((time.perf_counter() - started) * 1000)
            sql_times: list[float] = []
            sql_error = None
            if sql_timing and error is None:
                try:
                    sql = _rendered_sql(client, qc)
                    if sql:
                        sql_times = _sql_latencies(db_url, sql, repeats)
                except Exception as exc:  # noqa: BLE001 - the API figure above stands on its own
                    sql_error = str(exc)[:300]
            dash_ids = [d["id"] for d in chart.get("dashboards") or []]
            out.append({
                "dashboard": ", ".join(dashboards.get(i, str(i)) for i in dash_ids) or "-",
                "chart": chart["slice_name"],
                "p50_ms": round(statistics.median(times), 1) if times else None,
                "p95_ms": round(_percentile(times, 0.95), 1) if times else None,
                "sql_p50_ms": round(statistics.median(sql_times), 1) if sql_times else None,
                "sql_p95_ms": round(_percentile(sql_times, 0.95), 1) if sql_times else None,
                "error": error,
                **({"sql_error": sql_error} if sql_error else {}),
            })
        out.sort(key=lambda c: -(c["p95_ms"] or 0))
        return {"charts": out}
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()
        shutil.rmtree(home, ignore_errors=True)
