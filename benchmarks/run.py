"""`make bench`: the whole pipeline at a profile's scale, measured.

    .venv/bin/python -m benchmarks.run [--profile large] [--skip-charts] [--repeats 20]

Steps, each a separate process so its wall time and peak memory (max RSS of the process tree,
from wait4) are its own:
1. the simulator world of the profile (generated once, kept in .local/sim/<profile>);
2. a throw-away warehouse database `bench_*` next to the configured warehouse;
3. FULL run: extract every source over HTTP -> dbt build (unit tests excluded) -> forecasts;
4. the simulator clock advanced by one day, then the NIGHTLY incremental run: extract
   (cursors: only new and changed records) -> dbt build (incremental models with lookback);
   forecasts refresh weekly, so the nightly run does not refit them;
5. dashboard chart queries: p50 / p95 latency of every chart's data request through
   Superset's chart data API on the benchmark database (benchmarks/charts.py);
6. the extraction throughput and its ratio to the COPY ceiling (benchmarks/extract_bench.py).

Prints one table and writes benchmarks/results.json (keys: profile, full_pipeline_s,
incremental_s, incremental_ratio, chart_p95_ms_max, peak_rss_mb_max, extract_rows_per_s,
extract_copy_ratio, forecast_s, plus the per-stage details) and appends the headline figures
with the commit to benchmarks/history.jsonl. PostgreSQL's own memory is not
part of the peak RSS figures (the server is shared); dbt's SQL runs inside it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
RESULTS = ROOT / "benchmarks" / "results.json"
HISTORY = ROOT / "benchmarks" / "history.jsonl"


@dataclass
class Stage:
    name: str
    seconds: float
    peak_rss_mb: float
    returncode: int


def run_stage(name: str, cmd: list[str], env: dict[str, str]) -> Stage:
    """Run one stage as a child process; wall time and the max RSS of it and its children."""
    print(f"[bench] {name}: {' '.join(cmd[:4])} ...", flush=True)
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **env})
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    stage = Stage(name, round(seconds, 2), round(usage.ru_maxrss / 1024, 1), proc.returncode)
    if proc.returncode != 0:
        raise SystemExit(f"[bench] stage {name} failed with exit code {proc.returncode}")
    return stage


def world_path(profile: str) -> tuple[Path, Stage | None]:
    path = ROOT / ".local" / "sim" / profile / "world.sqlite"
    if path.exists():
        return path, None
    stage = run_stage(
        f"generate {profile}",
        [sys.executable, "-m", "source_simulator", "generate", "--profile", profile, "--out", str(path.parent)],
        {},
    )
    return path, stage


def source_env(base: str, db_url: str) -> dict[str, str]:
    from warehouse import dbt_env

    return {
        "WAREHOUSE_URL": db_url,
        "HELPDESK_URL": f"{base}/helpdesk",
        "SCHEDULE_URL": f"{base}/schedule",
        "ONEC_URL": f"{base}/onec",
        "REGISTRY_PATH": f"{base}/registry.xlsx",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
        **dbt_env(db_url),
    }


def pipeline(env: dict[str, str], *, incremental: bool) -> list[Stage]:
    dbt = [str(VENV_BIN / "dbt"), "build", "--project-dir", str(ROOT / "dbt_project"),
           "--profiles-dir", str(ROOT / "dbt_project"), "--exclude", "test_type:unit", "--quiet"]
    label = "nightly" if incremental else "full"
    stages = [
        run_stage(f"{label}: extract", [sys.executable, "-m", "extractors", "run"], env),
        # as the nightly job does: row-level tests of the big tables read the changed rows
        # (an environment variable, not --vars: dbt reuses the full run's parse)
        run_stage(f"{label}: dbt build", dbt, {**env, "DBT_ENV_CUSTOM_ENV_DATA_TESTS": "changed" if incremental else "all"}),
    ]
    if not incremental:
        stages.append(run_stage(f"{label}: forecasts", [sys.executable, "-m", "forecasts", "run"], env))
    return stages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default=os.environ.get("BENCH_PROFILE", "large"))
    parser.add_argument("--skip-charts", action="store_true", help="do not start Superset for chart latency")
    parser.add_argument("--repeats", type=int, default=20, help="requests per chart")
    parser.add_argument("--keep-db", action="store_true", help="keep the benchmark database")
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    from source_simulator.servers.testing import running_server
    from warehouse.testing import create_database, drop_database, ensure_server

    world, gen_stage = world_path(args.profile)
    server = ensure_server()
    db_url = create_database(server, prefix=f"bench_{args.profile}")
    results: dict[str, Any] = {
        "profile": args.profile,
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {_mem_gib()} GiB, {platform.system()}",
    }
    try:
        with running_server(world) as base:
            env = source_env(base, db_url)
            # the approval-status charts read payroll.*, which the approvals service owns
            payroll = run_stage("payroll schema", [sys.executable, "-m", "bonus_export", "migrate"], env)
            full = pipeline(env, incremental=False)
            full_rows = loaded_rows(db_url)
            httpx.post(f"{base}/_sim/clock", json={"advance_days": 1}, timeout=60).raise_for_status()
            nightly = pipeline(env, incremental=True)
            charts: dict[str, Any] = {}
            if not args.skip_charts:
                from benchmarks.charts import chart_latencies

                charts = chart_latencies(db_url, repeats=args.repeats)
            from benchmarks.extract_bench import run as extract_bench

            # The per-source end-to-end pass and the loader/COPY comparison re-extract the
            # world (and hold all issues in memory for the comparison): on `large` they run on
            # the demo world, and the large throughput is the full extract stage's own figure.
            if args.profile == "large":
                extraction = extract_bench("demo")
            else:
                extraction = extract_bench(args.profile, base)
    finally:
        if not args.keep_db:
            drop_database(db_url)

    stages = ([gen_stage] if gen_stage else []) + [payroll] + full + nightly
    full_s = sum(s.seconds for s in full)
    nightly_s = sum(s.seconds for s in nightly)
    helpdesk = extraction["end_to_end"].get("helpdesk", {})
    results.update({
        "full_pipeline_s": round(full_s, 1),
        "incremental_s": round(nightly_s, 1),
        "incremental_ratio": round(nightly_s / full_s, 4) if full_s else None,
        "chart_p95_ms_max": max((c["p95_ms"] for c in charts.get("charts", []) if c["p95_ms"] is not None),
                                default=None),
        "chart_errors": [f"{c['chart']}: {c['error']}" for c in charts.get("charts", []) if c.get("error")],
        "peak_rss_mb_max": max(s.peak_rss_mb for s in full + nightly),
        # every source row the full extract stage received (all four sources) per second of it
        "extract_rows_per_s": round(full_rows / full[0].seconds) if full[0].seconds else None,
        "extract_rows": full_rows,
        "extract_helpdesk_rows_per_s": round(helpdesk.get("rows_per_s", 0.0)),
        "extract_bench_profile": extraction.get("profile"),
        # throughput of the issues loader (validation, hashing, COPY, insert) / a plain COPY
        "extract_copy_ratio": round(extraction["issues_loader"]["loader_ratio"], 3),
        "extract_db_path_copy_ratio": round(extraction["issues_loader"]["db_path_ratio"], 3),
        "forecast_s": next((s.seconds for s in full if s.name.endswith("forecasts")), None),
        "stages": [asdict(s) for s in stages],
        "charts": charts.get("charts", []),
        "extraction": extraction,
    })
    RESULTS.write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str) + "\n")
    append_history(results)
    print_table(results)
    print(f"\nfigures written to {RESULTS.relative_to(ROOT)}")


def append_history(results: dict[str, Any]) -> None:
    """One line per run in benchmarks/history.jsonl (the headline keys and the commit), so runs
    can be compared over time; results.json keeps only the latest run in full."""
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    keys = ("profile", "date", "machine", "full_pipeline_s", "incremental_s", "incremental_ratio",
            "chart_p95_ms_max", "peak_rss_mb_max", "extract_rows_per_s", "extract_copy_ratio", "forecast_s")
    line = {"commit": commit, **{k: results.get(k) for k in keys},
            "stages": {s["name"]: s["seconds"] for s in results.get("stages", [])}}
    with HISTORY.open("a") as out:
        out.write(json.dumps(line, ensure_ascii=False) + "\n")


def loaded_rows(db_url: str) -> int:
    """Source rows the extractors received so far (raw_meta.loads.rows_seen, every source)."""
    import psycopg

    from warehouse import _plain

    with psycopg.connect(_plain(db_url)) as conn:
        return int(conn.execute("select coalesce(sum(rows_seen), 0) from raw_meta.loads").fetchone()[0])


def _mem_gib() -> int:
    try:
        return round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30)
    except (ValueError, OSError):
        return 0


def print_table(r: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    t = Table(title=f"make bench — profile {r['profile']}, {r['date']}, {r['machine']}")
    t.add_column("stage")
    t.add_column("seconds", justify="right")
    t.add_column("peak RSS, MB", justify="right")
    for s in r["stages"]:
        t.add_row(s["name"], f"{s['seconds']:.1f}", f"{s['peak_rss_mb']:.0f}")
    t.add_section()
    t.add_row("full pipeline (extract + dbt + forecasts)", f"{r['full_pipeline_s']:.1f}", "")
    t.add_row("nightly incremental (after one day)", f"{r['incremental_s']:.1f}", "")
    t.add_row("incremental / full", f"{r['incremental_ratio']:.3f}" if r["incremental_ratio"] else "-", "")
    t.add_row(f"full extraction, rows/s ({r['extract_rows']:,} rows)", f"{r['extract_rows_per_s']}", "")
    t.add_row(f"help-desk end to end, rows/s ({r['extract_bench_profile']})", f"{r['extract_helpdesk_rows_per_s']}", "")
    t.add_row(f"issues loader / plain COPY ({r['extract_bench_profile']})", f"{r['extract_copy_ratio']}", "")
    Console().print(t)
    if r["charts"]:
        c = Table(title="dashboard chart queries (Superset chart data API)")
        for col in ("dashboard", "chart", "p50 ms", "p95 ms"):
            c.add_column(col, justify="right" if "ms" in col else "left")
        for ch in r["charts"]:
            if ch.get("error"):
                c.add_row(ch["dashboard"], ch["chart"], "error", ch["error"][:60])
            else:
                c.add_row(ch["dashboard"], ch["chart"], f"{ch['p50_ms']:.0f}", f"{ch['p95_ms']:.0f}")
        Console().print(c)


if __name__ == "__main__":
    main()
