"""`make bench`: the whole pipeline at a profile's scale, run through the Dagster jobs, measured.

    .venv/bin/python -m benchmarks.run [--profile large] [--skip-direct] [--skip-charts] [--repeats 20]

Steps:
1. the simulator world of the profile (generated once, kept in .local/sim/<profile>);
2. a throw-away warehouse database `bench_*` next to the configured warehouse, and a fresh
   Dagster instance in .local/bench/<profile>/dagster_home (the project's dagster.yaml);
3. FULL: the `full_pipeline` job (every source asset, the Great Expectations and freshness
   checks, the dbt build with its tests, the forecasts and their check);
4. the simulator clock advanced by one day, then NIGHTLY: the `nightly_pipeline` job
   (incremental extraction from the cursors, the checks, the incremental dbt build with the
   nightly test scope; no forecasts, they have their own weekly schedule).
   Both jobs run as the nightly schedule's runs do: with the jobs' own multiprocess executor
   (each step its own process, `cpu_count()` at a time), via `dagster job execute`, not
   `make run`'s execute_in_process (benchmarks/dagster_runs.py says why that is the same
   executor the daemon's launched run uses). Timed: the run worker's wall time, every step
   from the run's event log (checks included), and the peak RSS of the run's process tree
   (summed, sampled every 0.5 s; PostgreSQL's server processes are not counted);
5. dashboard chart queries: p50 / p95 latency of every chart's data request through
   Superset's chart data API on the benchmark database (benchmarks/charts.py);
6. the extraction throughput and its ratio to the COPY ceiling (benchmarks/extract_bench.py);
7. DIRECT (a second figure, skipped with --skip-direct): the same full and nightly work without
   Dagster, on a database and simulator of its own: extractors -> dbt build (-> forecasts on
   the full run), each a process of its own, peak memory = the largest process (wait4). This
   is the path earlier benchmarks timed; the difference to the Dagster figures is what the
   jobs add (checks, step processes, Dagster's own events).

Prints the tables and writes benchmarks/results.json: the Dagster figures `full_dagster_s`,
`nightly_dagster_s`, `nightly_dagster_ratio`, `gx_nightly_s` (the nightly's Great Expectations
check steps, summed), `gx_full_s`, `peak_rss_dagster_mb`, `dagster` (per run: steps, sums);
the direct figures under the keys earlier runs wrote (`full_pipeline_s`, `incremental_s`,
`incremental_ratio`, `peak_rss_mb_max`, `extract_rows_per_s`, `forecast_s`; null with
--skip-direct); `chart_p95_ms_max` (every chart as its dashboard opens it),
`chart_p95_filtered_ms_max` (with an engineer or a region chosen), `extract_copy_ratio`; and appends the headline figures
with the commit to benchmarks/history.jsonl.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from benchmarks.dagster_runs import fresh_home, run_job, top_steps

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
    """Run one stage as a child process; its wall time and the largest RSS of it or any of its
    descendants (wait4's ru_maxrss: one process, not a sum)."""
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


def direct_path(world: Path, server: str, profile: str) -> tuple[list[Stage], list[Stage]]:
    """The full and the nightly work without Dagster, on a database and simulator of their own
    (the simulator's clock is per server: this one starts at the world's day again)."""
    from tools.simulator_server import running_server
    from tools.testdb import create_database, drop_database

    db_url = create_database(server, prefix=f"bench_{profile}_direct")
    try:
        with running_server(world) as base:
            env = source_env(base, db_url)
            run_stage("direct: payroll schema", [sys.executable, "-m", "bonus_export", "migrate"], env)
            full = pipeline(env, incremental=False)
            httpx.post(f"{base}/_sim/clock", json={"advance_days": 1}, timeout=60).raise_for_status()
            nightly = pipeline(env, incremental=True)
    finally:
        drop_database(db_url)
    return full, nightly


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default=os.environ.get("BENCH_PROFILE", "large"))
    parser.add_argument("--skip-direct", action="store_true",
                        help="do not time the direct path (extractors + dbt build without Dagster)")
    parser.add_argument("--skip-charts", action="store_true", help="do not start Superset for chart latency")
    parser.add_argument("--repeats", type=int, default=20, help="requests per chart")
    parser.add_argument("--keep-db", action="store_true", help="keep the benchmark database")
    args = parser.parse_args()
    # a SIGTERM (a timeout, make interrupted) unwinds like Ctrl-C: the simulator and the run
    # are stopped and the benchmark databases dropped
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    sys.path.insert(0, str(ROOT))
    from tools.simulator_server import running_server
    from tools.testdb import create_database, drop_database, ensure_server

    bench_started = time.perf_counter()
    world, gen_stage = world_path(args.profile)
    server = ensure_server()
    db_url = create_database(server, prefix=f"bench_{args.profile}")
    work = ROOT / ".local" / "bench" / args.profile
    home = fresh_home(work / "dagster_home")
    results: dict[str, Any] = {
        "profile": args.profile,
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {_mem_gib()} GiB, {platform.system()}",
    }
    runs: dict[str, dict[str, Any]] = {}
    try:
        with running_server(world) as base:
            env = source_env(base, db_url)
            # the approval-status charts read payroll.*, which the approvals service owns
            payroll = run_stage("payroll schema", [sys.executable, "-m", "bonus_export", "migrate"], env)
            # as a deployment prepares its manifest (`make dbt-parse` with its own WAREHOUSE_URL):
            # dbt's saved parse is only reused for the profile it was made with, and a manifest
            # parsed for another database costs every dbt step a full re-parse
            run_stage("dbt parse", [str(VENV_BIN / "dbt"), "parse", "--quiet", "--project-dir", str(ROOT / "dbt_project"),
                                    "--profiles-dir", str(ROOT / "dbt_project")], env)
            runs["full"] = run_job("full_pipeline", env, home, work / "full_pipeline.log", VENV_BIN / "dagster")
            _require_success(runs["full"])
            full_rows = loaded_rows(db_url)
            httpx.post(f"{base}/_sim/clock", json={"advance_days": 1}, timeout=60).raise_for_status()
            runs["nightly"] = run_job("nightly_pipeline", env, home, work / "nightly_pipeline.log",
                                      VENV_BIN / "dagster")
            _require_success(runs["nightly"])
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
    full, nightly = ([], []) if args.skip_direct else direct_path(world, server, args.profile)

    stages = ([gen_stage] if gen_stage else []) + [payroll] + full + nightly
    full_s = sum(s.seconds for s in full)
    nightly_s = sum(s.seconds for s in nightly)
    helpdesk = extraction["end_to_end"].get("helpdesk", {})
    full_run, nightly_run = runs["full"], runs["nightly"]
    results.update({
        # through the Dagster jobs (multiprocess executor, as the schedule's runs)
        "full_dagster_s": round(full_run["seconds"], 1),
        "nightly_dagster_s": round(nightly_run["seconds"], 1),
        "nightly_dagster_ratio": round(nightly_run["seconds"] / full_run["seconds"], 4),
        "gx_nightly_s": round(nightly_run["gx_s"], 1),
        "gx_full_s": round(full_run["gx_s"], 1),
        "peak_rss_dagster_mb": max(full_run["peak_rss_mb"], nightly_run["peak_rss_mb"]),
        "dagster_executor": "multiprocess (the jobs' default executor; one process per step, "
                            f"at most cpu_count() = {os.cpu_count()} at a time), via `dagster job execute`",
        # the direct path (extractors + dbt build without Dagster; null with --skip-direct)
        "full_pipeline_s": round(full_s, 1) if full else None,
        "incremental_s": round(nightly_s, 1) if nightly else None,
        "incremental_ratio": round(nightly_s / full_s, 4) if full_s else None,
        # every chart as its dashboard opens it (the default period), and with one engineer or
        # one region chosen in the dashboard's filters
        "chart_p95_ms_max": max((c["p95_ms"] for c in charts.get("charts", []) if c["p95_ms"] is not None),
                                default=None),
        "chart_p95_filtered_ms_max": max((c[k] for c in charts.get("charts", [])
                                          for k in ("engineer_p95_ms", "region_p95_ms") if c.get(k) is not None),
                                         default=None),
        "chart_errors_filtered": [f"{c['chart']} ({k.split('_')[0]}): {c[k]}" for c in charts.get("charts", [])
                                  for k in ("engineer_error", "region_error") if c.get(k)],
        "chart_errors": [f"{c['chart']}: {c['error']}" for c in charts.get("charts", []) if c.get("error")],
        "peak_rss_mb_max": max((s.peak_rss_mb for s in full + nightly), default=None),
        # every source row the full extraction received (all four sources) per second of the
        # direct path's extract stage
        "extract_rows_per_s": round(full_rows / full[0].seconds) if full and full[0].seconds else None,
        "extract_rows": full_rows,
        "extract_helpdesk_rows_per_s": round(helpdesk.get("rows_per_s", 0.0)),
        "extract_bench_profile": extraction.get("profile"),
        # throughput of the issues loader (validation, hashing, COPY, insert) / a plain COPY
        "extract_copy_ratio": round(extraction["issues_loader"]["loader_ratio"], 3),
        "extract_db_path_copy_ratio": round(extraction["issues_loader"]["db_path_ratio"], 3),
        "forecast_s": next((s.seconds for s in full if s.name.endswith("forecasts")), None),
        "bench_s": round(time.perf_counter() - bench_started, 1),
        "dagster": runs,
        "stages": [asdict(s) for s in stages],
        "charts": charts.get("charts", []),
        "extraction": extraction,
    })
    RESULTS.write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str) + "\n")
    append_history(results)
    print_table(results)
    print(f"\nfigures written to {RESULTS.relative_to(ROOT)}; the runs' logs in {work.relative_to(ROOT)}")


def _require_success(run: dict[str, Any]) -> None:
    if run["status"] != "success" or run["returncode"] != 0:
        print_steps({run["job"]: run})
        raise SystemExit(f"[bench] {run['job']} ended {run['status']} (exit code {run['returncode']}); "
                         f"failed steps: {', '.join(run['failed_steps']) or '?'}; log {run['log']}")


def append_history(results: dict[str, Any]) -> None:
    """One line per run in benchmarks/history.jsonl (the headline keys and the commit), so runs
    can be compared over time; results.json keeps only the latest run in full."""
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    keys = ("profile", "date", "machine", "full_dagster_s", "nightly_dagster_s", "nightly_dagster_ratio",
            "gx_nightly_s", "gx_full_s", "peak_rss_dagster_mb", "full_pipeline_s", "incremental_s",
            "incremental_ratio", "chart_p95_ms_max", "chart_p95_filtered_ms_max", "peak_rss_mb_max", "extract_rows_per_s",
            "extract_copy_ratio", "forecast_s", "bench_s")
    line = {"commit": commit, **{k: results.get(k) for k in keys},
            "stages": {s["name"]: s["seconds"] for s in results.get("stages", [])},
            "dagster_top_steps": {name: {s["step"]: s["seconds"] for s in top_steps(run["steps"])}
                                  for name, run in results.get("dagster", {}).items()}}
    with HISTORY.open("a") as out:
        out.write(json.dumps(line, ensure_ascii=False) + "\n")


def loaded_rows(db_url: str) -> int:
    """Source rows the extractors received so far (raw_meta.loads.rows_seen, every source)."""
    import psycopg

    from warehouse import libpq_url

    with psycopg.connect(libpq_url(db_url)) as conn:
        return int(conn.execute("select coalesce(sum(rows_seen), 0) from raw_meta.loads").fetchone()[0])


def _mem_gib() -> int:
    try:
        return round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30)
    except (ValueError, OSError):
        return 0


def print_steps(runs: dict[str, dict[str, Any]]) -> None:
    """Every step of the runs side by side (seconds of its own work, and of its process start),
    then each run's top 10."""
    from rich.console import Console
    from rich.table import Table

    names = list(runs)
    by_step: dict[str, dict[str, Any]] = {}
    for name in names:
        for s in runs[name]["steps"]:
            by_step.setdefault(s["step"], {"kind": s["kind"]})[name] = s
    t = Table(title="Dagster steps (seconds = STEP_START -> end; start = the step process starting)")
    t.add_column("step")
    t.add_column("kind")
    for name in names:
        t.add_column(f"{name} s", justify="right")
        t.add_column(f"{name} start s", justify="right")

    def cell(s: dict[str, Any] | None, key: str) -> str:
        if s is None or s[key] is None:
            return "-"
        mark = "" if s["status"] == "success" or key != "seconds" else f" {s['status']}"
        return f"{s[key]:.1f}{mark}"

    order = sorted(by_step.items(), key=lambda kv: -max((kv[1][n]["seconds"] or 0) for n in names if n in kv[1]))
    for step, row in order:
        t.add_row(step, row["kind"], *[cell(row.get(n), k) for n in names for k in ("seconds", "worker_s")])
    Console().print(t)
    for name in names:
        run = runs[name]
        top = ", ".join(f"{s['step']} {s['seconds']:.1f}" for s in top_steps(run["steps"]))
        print(f"top 10 steps of {run['job']}: {top}")


def print_table(r: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    print_steps(r["dagster"])
    d = Table(title=f"make bench — profile {r['profile']}, {r['date']}, {r['machine']}; "
                    f"Dagster jobs, {r['dagster_executor']}")
    for col in ("job", "wall s", "run s", "steps sum s", "GX checks s", "step starts sum s", "peak RSS tree MB"):
        d.add_column(col, justify="left" if col == "job" else "right")
    for run in r["dagster"].values():
        d.add_row(run["job"], f"{run['seconds']:.1f}", f"{run['run_s'] or 0:.1f}", f"{run['steps_sum_s']:.1f}",
                  f"{run['gx_s']:.1f} ({run['gx_steps']})", f"{run['worker_start_sum_s']:.1f}",
                  f"{run['peak_rss_mb']:.0f} ({run['peak_processes']} proc.)")
    d.add_section()
    d.add_row("nightly / full", f"{r['nightly_dagster_ratio']:.3f}", "", "", "", "", "")
    Console().print(d)
    print("peak RSS tree: the run worker and all its descendants, summed; PostgreSQL's server "
          "processes (where the SQL runs) and the simulator are not counted")

    t = Table(title="stages outside Dagster (direct: extractors + dbt build, no checks, no step processes)")
    t.add_column("stage")
    t.add_column("seconds", justify="right")
    t.add_column("peak RSS, MB (largest process)", justify="right")
    for s in r["stages"]:
        t.add_row(s["name"], f"{s['seconds']:.1f}", f"{s['peak_rss_mb']:.0f}")
    t.add_section()
    if r["full_pipeline_s"] is not None:
        t.add_row("direct full (extract + dbt + forecasts)", f"{r['full_pipeline_s']:.1f}", "")
        t.add_row("direct nightly (after one day)", f"{r['incremental_s']:.1f}", "")
        t.add_row("direct nightly / full", f"{r['incremental_ratio']:.3f}" if r["incremental_ratio"] else "-", "")
        t.add_row(f"full extraction, rows/s ({r['extract_rows']:,} rows)", f"{r['extract_rows_per_s']}", "")
    t.add_row(f"help-desk end to end, rows/s ({r['extract_bench_profile']})", f"{r['extract_helpdesk_rows_per_s']}", "")
    t.add_row(f"issues loader / plain COPY ({r['extract_bench_profile']})", f"{r['extract_copy_ratio']}", "")
    t.add_row("the whole bench", f"{r['bench_s']:.0f}", "")
    Console().print(t)
    if r["charts"]:
        c = Table(title="dashboard chart queries (Superset chart data API; opened = the dashboard's "
                        "default filters, then one engineer / one region chosen)")
        for col in ("dashboard", "chart", "p50 ms", "p95 ms", "engineer p95", "region p95"):
            c.add_column(col, justify="right" if "ms" in col or "p95" in col else "left")

        def ms(v: float | None) -> str:
            return "-" if v is None else f"{v:.0f}"

        for ch in r["charts"]:
            if ch.get("error"):
                c.add_row(ch["dashboard"], ch["chart"], "error", ch["error"][:60], "", "")
            else:
                c.add_row(ch["dashboard"], ch["chart"], ms(ch["p50_ms"]), ms(ch["p95_ms"]),
                          ms(ch.get("engineer_p95_ms")), ms(ch.get("region_p95_ms")))
        Console().print(c)


if __name__ == "__main__":
    main()
