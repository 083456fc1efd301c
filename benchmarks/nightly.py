"""Another simulated day on a database a `make bench ... BENCH_ARGS=--keep-db` run kept:
the `nightly_pipeline` job again, timed as the bench times it, without the full load.

    .venv/bin/python -m benchmarks.nightly --db bench_large_0123456789 --day 2 [--profile large]

A full load of `large` takes about twenty minutes; a change to the nightly path (a model, a
check, the executor) is measured in two. `--day N` is the simulated day to run: the simulator
keeps its clock in memory, so a fresh one starts at the world's end again and is moved N days
forward (the bench's own nightly was day 1; each re-run needs the next day, or it finds
nothing new). The figures are printed and appended to benchmarks/history.jsonl with
`"kind": "nightly only"`; benchmarks/results.json keeps the last whole bench.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from datetime import UTC, datetime

import httpx

from benchmarks.dagster_runs import run_job, top_steps
from benchmarks.run import HISTORY, ROOT, VENV_BIN, print_steps, run_stage, source_env, world_path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True, help="the kept benchmark database (name or URL)")
    parser.add_argument("--day", type=int, required=True,
                        help="simulated days after the world's end (the bench's own nightly was day 1)")
    parser.add_argument("--profile", default="large")
    parser.add_argument("--job", default="nightly_pipeline",
                        help="the job to run (full_pipeline with --day 0 finishes a full load that failed)")
    args = parser.parse_args(argv)

    sys.path.insert(0, str(ROOT))
    from tools.simulator_server import running_server
    from tools.testdb import ensure_server
    from warehouse import with_database

    db_url = args.db if "://" in args.db else with_database(ensure_server(), args.db)
    world, _ = world_path(args.profile)
    work = ROOT / ".local" / "bench" / args.profile
    home = work / "dagster_home"
    if not home.exists():
        raise SystemExit(f"no Dagster instance at {home}: run the whole bench with --keep-db first")
    with running_server(world) as base:
        env = source_env(base, db_url)
        # the manifest parsed for this database, as the bench and a deployment do (docs/dbt.md)
        run_stage("dbt parse", [str(VENV_BIN / "dbt"), "parse", "--quiet", "--project-dir", str(ROOT / "dbt_project"),
                                "--profiles-dir", str(ROOT / "dbt_project")], env)
        if args.day:
            httpx.post(f"{base}/_sim/clock", json={"advance_days": args.day}, timeout=60).raise_for_status()
        run = run_job(args.job, env, home, work / f"{args.job}_day{args.day}.log", VENV_BIN / "dagster")
    print_steps({"nightly": run})
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    line = {"commit": commit, "kind": f"{args.job} only", "profile": args.profile, "day": args.day,
            "date": datetime.now(UTC).strftime("%Y-%m-%d"), "status": run["status"],
            "nightly_dagster_s": round(run["seconds"], 1), "run_s": run["run_s"], "gx_nightly_s": run["gx_s"],
            "worker_start_sum_s": run["worker_start_sum_s"], "peak_rss_dagster_mb": run["peak_rss_mb"],
            "dagster_top_steps": {"nightly": {s["step"]: s["seconds"] for s in top_steps(run["steps"])}}}
    with HISTORY.open("a") as out:
        out.write(json.dumps(line, ensure_ascii=False) + "\n")
    print(f"\n{args.job} (day {args.day}) {run['status']} in {run['seconds']:.1f} s (run {run['run_s']} s); "
          f"appended to {HISTORY.relative_to(ROOT)}")
    if run["status"] != "success":
        raise SystemExit(1)


if __name__ == "__main__":
    main()
