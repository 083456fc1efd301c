"""Marts built by two versions of the dbt project must be equal, row by row.

Builds one simulated world twice, each time into a database of its own: with the dbt project
of a git revision (`--base-ref`, exported with `git archive`) and with the working tree's. Each
side gets the same history: extraction and `dbt build` (a full build), then the simulator's
clock moves one day, extraction again and `dbt build` again (the nightly: incremental models
run incrementally). Then every compared table of the base database is copied into the other
one (schema `compare_base`) and compared there with EXCEPT both ways, in SQL.

Columns that say when a row was loaded or written (`_batch_at`, `_source_loaded_at`, ...)
differ between two extractions of the same data and are left out of the comparison.

Also prints, from dbt's run_results.json, the nightly run's time of each compared model on
both sides.

    .venv/bin/python tools/compare_marts.py --profile tiny
    .venv/bin/python tools/compare_marts.py --profile demo --keep   # keep both databases

Exit code 0 when every compared table is equal.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "dbt"))

import warehouse  # noqa: E402
from warehouse.testing import create_database, drop_database, ensure_server  # noqa: E402

DBT = Path(sys.executable).parent / "dbt"

# the KPI, load-index, bonus, contract and dashboard marts and their intermediate models
TABLES = [
    "intermediate.int_bonus__base_lines", "intermediate.int_bonus__coefficient_sets",
    "intermediate.int_bonus__repeats", "intermediate.int_bonus__ticket_points",
    "intermediate.int_contracts__periods", "intermediate.int_contracts__time_entries",
    "intermediate.int_kpi__ticket_open_spans",
    "marts.mart_engineer_kpi", "marts.mart_engineer_kpi_weekly", "marts.mart_engineer_load_index",
    "marts.mart_kpi_rollup", "marts.mart_sla_by_work_type",
    "marts.mart_bonus_lines", "marts.mart_bonus_summary",
    "marts.mart_client_profitability", "marts.mart_contract_alerts", "marts.mart_contract_usage",
    "marts.agg_bonus_monthly", "marts.agg_money_daily", "marts.agg_money_monthly",
    "marts.agg_tickets_daily", "marts.agg_tickets_monthly", "marts.agg_tickets_weekly",
    "marts.agg_tickets_weekly_total", "marts.dash_open_tickets",
]
LOAD_TIME_COLUMNS = {"_batch_at", "_source_loaded_at", "_loaded_at", "_last_loaded_at"}


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def export_project(ref: str, into: Path) -> Path:
    """dbt_project/ of git revision `ref`, written below `into` (without target/ and logs/)."""
    tar = subprocess.run(["git", "-C", str(ROOT), "archive", ref, "dbt_project"], check=True,
                         capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(tar)) as t:
        t.extractall(into, filter="data")
    return into / "dbt_project"


def dbt_build(project: Path, db_url: str, target: Path, timeout: int) -> dict[str, float]:
    """`dbt build` (no unit tests, as the Dagster jobs run it); model -> execution time (s)."""
    env = {**os.environ, **warehouse.dbt_env(db_url), "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
           "DBT_TARGET_PATH": str(target), "DBT_LOG_PATH": str(target / "logs")}
    cmd = [str(DBT), "build", "--exclude-resource-type", "unit_test",
           "--project-dir", str(project), "--profiles-dir", str(project)]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode != 0:
        sys.exit(f"dbt build failed in {project}:\n{done.stdout[-6000:]}\n{done.stderr[-2000:]}")
    results = json.loads((target / "run_results.json").read_text())["results"]
    return {r["unique_id"].split(".")[-1]: r["execution_time"] for r in results
            if r["unique_id"].startswith("model.")}


def columns(conn: psycopg.Connection, table: str) -> list[tuple[str, str]]:
    schema, name = table.split(".")
    return [tuple(r) for r in conn.execute(
        "select a.attname, format_type(a.atttypid, a.atttypmod) from pg_attribute a"
        " join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace"
        " where n.nspname = %s and c.relname = %s and a.attnum > 0 and not a.attisdropped"
        " order by a.attnum", (schema, name)).fetchall()]


def copy_base(base_url: str, new_url: str, tables: list[str]) -> None:
    """Every table of `tables` of the base database as compare_base.<schema>__<name> in the other."""
    with psycopg.connect(base_url) as src, psycopg.connect(new_url, autocommit=True) as dst:
        dst.execute("drop schema if exists compare_base cascade")
        dst.execute("create schema compare_base")
        for table in tables:
            cols = columns(src, table)
            copy = f"compare_base.{table.replace('.', '__')}"
            dst.execute(f"create table {copy} ({', '.join(f'{c} {t}' for c, t in cols)})")
            names = ", ".join(c for c, _ in cols)
            with src.cursor().copy(f"copy (select {names} from {table}) to stdout") as out, \
                    dst.cursor().copy(f"copy {copy} ({names}) from stdin") as into:
                for block in out:
                    into.write(block)


def compare(new_url: str, tables: list[str]) -> dict[str, str]:
    """table -> what differs (nothing for an equal table)."""
    diffs = {}
    with psycopg.connect(new_url) as conn:
        for table in tables:
            copy = f"compare_base.{table.replace('.', '__')}"
            base_cols = columns(conn, copy)
            new_cols = columns(conn, table)
            if base_cols != new_cols:
                diffs[table] = f"columns differ: base {base_cols} vs new {new_cols}"
                continue
            # json has no equality operator: compared as text
            sel = ", ".join(f"{c}::text" if t == "json" else c for c, t in new_cols if c not in LOAD_TIME_COLUMNS)
            only_base, only_new, rows = conn.execute(
                f"select (select count(*) from (select {sel} from {copy} except all select {sel} from {table}) d),"
                f" (select count(*) from (select {sel} from {table} except all select {sel} from {copy}) d),"
                f" (select count(*) from {table})").fetchone()
            log(f"  {table}: {rows} rows, only in base {only_base}, only in new {only_new}")
            if only_base or only_new:
                diffs[table] = f"{only_base} rows only in base, {only_new} only in new"
    return diffs


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--profile", default="tiny", help="simulator profile (tiny, demo, ...)")
    ap.add_argument("--base-ref", default="dbt-marts-base", help="git revision of the base dbt project")
    ap.add_argument("--new-ref", help="git revision of the new dbt project (default: the working tree)")
    ap.add_argument("--world", type=Path, help="an already generated world (default: generate one)")
    ap.add_argument("--base-db", help="reuse this database, built by an earlier --keep run, as the base side")
    ap.add_argument("--base-timings", type=Path,
                    help="with --base-db: the timings.json of the run that built it (for the time table)")
    ap.add_argument("--base-only", action="store_true", help="build and keep the base side only (for --base-db)")
    ap.add_argument("--keep", action="store_true", help="keep both databases (names are printed)")
    ap.add_argument("--nights", type=int, default=1,
                    help="nightly runs after the full build, a simulated day apart (timings: the median)")
    ap.add_argument("--timeout", type=int, default=3600, help="seconds for each dbt build")
    args = ap.parse_args()

    from dbt_helpers import advance_days, extract_all  # tests/dbt

    from source_simulator.generator import generate
    from source_simulator.servers.testing import running_server

    server = ensure_server()
    work = Path(tempfile.mkdtemp(prefix="compare_marts_"))
    if args.world and (args.world / "world.sqlite").exists():
        world = args.world / "world.sqlite"
    else:
        world = generate(args.profile, out=args.world or work / "world").path
    sides = {"base": export_project(args.base_ref, work / "base"),
             "new": export_project(args.new_ref, work / "new") if args.new_ref else ROOT / "dbt_project"}
    if args.base_only:
        del sides["new"]
    urls = {"base": warehouse.with_database(server, args.base_db)} if args.base_db else {}
    for side in sides:
        urls.setdefault(side, create_database(server, prefix=f"cmp_{side}"))
    build = [s for s in sides if not (s == "base" and args.base_db)]
    timings: dict[str, dict[str, float]] = {}
    if args.base_db and args.base_timings:
        timings.update({k: v for k, v in json.loads(args.base_timings.read_text()).items() if k.startswith("base")})
    try:
        with running_server(world) as base:
            for day in range(args.nights + 1):
                label = "nightly" if day else "full"
                if day:
                    advance_days(base, 1)
                # the sides take turns going first: a busy machine slows both alike
                for side in build if day % 2 == 0 else build[::-1]:
                    log(f"{side}: extract + dbt build ({label} {day}) into {urls[side].rsplit('/', 1)[-1]}")
                    extract_all(urls[side], base)
                    t = dbt_build(sides[side], urls[side], work / f"target_{side}", args.timeout)
                    for model, seconds in t.items():
                        timings.setdefault(f"{side} {label}", {}).setdefault(model, []).append(seconds)
        if args.base_only:
            (work / "timings.json").write_text(json.dumps(timings, indent=1))
            log(f"base built: {urls['base'].rsplit('/', 1)[-1]} (world {world}); timings: {work / 'timings.json'}")
            return 0
        log("copying the base tables and comparing")
        copy_base(urls["base"], urls["new"], TABLES)
        diffs = compare(urls["new"], TABLES)
    finally:
        if args.keep or args.base_only:
            log(f"kept: {urls}")
        else:
            for side, url in urls.items():
                if not (side == "base" and args.base_db):
                    drop_database(url)
    names = sorted({t.split(".")[-1] for t in TABLES})
    for label in ("full", "nightly"):
        if f"new {label}" in timings:
            b, n = ({m: statistics.median(v) if isinstance(v, list) else v for m, v in timings.get(f"{side} {label}", {}).items()}
                    for side in ("base", "new"))
            log(f"{label} run, model time (s, median of {len(next(iter(timings[f'new {label}'].values())))}): base / new")
            for m in names:
                if m in n:
                    log(f"  {m:34s} {b.get(m, float('nan')):8.2f} {n[m]:8.2f}")
            log(f"  {'sum':34s} {sum(b.get(m, 0) for m in names if m in n):8.2f} {sum(n.get(m, 0) for m in names):8.2f}")
    (work / "timings.json").write_text(json.dumps(timings, indent=1))
    log(f"timings: {work / 'timings.json'}")
    if diffs:
        for t, d in diffs.items():
            log(f"DIFFERS {t}: {d}")
        return 1
    log(f"all {len(TABLES)} tables equal")
    return 0


if __name__ == "__main__":
    sys.exit(main())
