"""Build the warehouse with two versions of the dbt project on the same raw data and compare.

    .venv/bin/python tools/compare_incremental.py --base <commit> [--profile tiny|demo] [--keep]

One simulated world, one extraction: database A is built with `dbt_project/` as it was at
`--base` (exported with `git archive`), database B with the working tree's. Both get a full
`dbt build`, then the world advances one day, the day is extracted once (into A; the raw and
raw_meta schemas are copied to B row for row, so load ids and load times are identical) and
both get the nightly `dbt build` (data tests scoped to the changed rows, as the nightly job
runs them). Then every table and view that both builds wrote in `intermediate` and `marts` is compared
with EXCEPT both ways on the columns they share (`_batch_at`, the time a row was written,
left out). Exit code 1 when a table differs.

Per-model seconds of both nightly builds are printed side by side (dbt's run_results.json;
copies and the full report are written to `--out`, default .local/compare/<profile>).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import httpx
import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
VENV_BIN = Path(sys.executable).parent
IGNORED_COLUMNS = {"_batch_at"}


def run(cmd: list[str], env: dict[str, str], cwd: Path = ROOT) -> float:
    started = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, env={**os.environ, **env}, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:4])} failed:\n{done.stdout[-6000:]}\n{done.stderr[-3000:]}")
    return time.perf_counter() - started


def export_project(commit: str, dest: Path) -> Path:
    """dbt_project/ as it was at `commit`."""
    archive = subprocess.run(["git", "archive", commit, "dbt_project"], cwd=ROOT, check=True,
                             capture_output=True).stdout
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(dest, filter="data")
    return dest / "dbt_project"


def dbt_build(project: Path, db_url: str, base_env: dict[str, str], target: Path, *, nightly: bool) -> float:
    from warehouse import dbt_env

    cmd = [str(VENV_BIN / "dbt"), "build", "--project-dir", str(project), "--profiles-dir", str(project),
           "--target-path", str(target), "--exclude", "test_type:unit", "--quiet"]
    env = {**base_env, **dbt_env(db_url), "DBT_ENV_CUSTOM_ENV_DATA_TESTS": "changed" if nightly else "all"}
    return run(cmd, env)


def copy_database(url: str, prefix: str) -> str:
    """A new database created from `url`'s (nothing else may be connected to it meanwhile)."""
    import uuid

    from warehouse import with_database

    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(with_database(url, "postgres"), autocommit=True) as conn:
        conn.execute(f'create database "{name}" template "{url.rsplit("/", 1)[1]}"')
    return with_database(url, name)


def copy_raw(src_url: str, dst_url: str) -> None:
    """Make the raw_* and raw_meta schemas of dst identical to src's (same rows, same load ids)."""
    with psycopg.connect(src_url) as src, psycopg.connect(dst_url) as dst:
        tables = src.execute(
            "select table_schema, table_name from information_schema.tables"
            " where table_schema like 'raw%%' and table_type = 'BASE TABLE' order by 1, 2").fetchall()
        for schema, name in tables:
            cols = [r[0] for r in src.execute(
                "select column_name from information_schema.columns where table_schema = %s"
                " and table_name = %s and is_generated = 'NEVER' order by ordinal_position",
                (schema, name)).fetchall()]
            col_list = ", ".join(f'"{c}"' for c in cols)
            dst.execute(f'truncate "{schema}"."{name}"')
            with src.cursor().copy(f'copy "{schema}"."{name}" ({col_list}) to stdout') as out, \
                    dst.cursor().copy(f'copy "{schema}"."{name}" ({col_list}) from stdin') as into:
                for chunk in out:
                    into.write(chunk)
        dst.commit()


def tables_of(conn: psycopg.Connection) -> dict[str, list[str]]:
    rows = conn.execute(
        "select c.table_schema || '.' || c.table_name, c.column_name"
        " from information_schema.columns c join information_schema.tables t"
        "   on t.table_schema = c.table_schema and t.table_name = c.table_name"
        " where c.table_schema in ('intermediate', 'marts') and t.table_type in ('BASE TABLE', 'VIEW')"
        " order by c.table_schema, c.table_name, c.ordinal_position").fetchall()
    out: dict[str, list[str]] = {}
    for table, col in rows:
        out.setdefault(table, []).append(col)
    return out


def compare(a_url: str, b_url: str) -> list[dict]:
    """EXCEPT both ways per table (B's database reads A's table through a copy)."""
    report = []
    with psycopg.connect(a_url) as a, psycopg.connect(b_url) as b:
        ta, tb = tables_of(a), tables_of(b)
        for table in sorted(set(ta) | set(tb)):
            if table not in ta or table not in tb:
                report.append({"table": table, "only_in": "base" if table in ta else "new"})
                continue
            cols = [c for c in ta[table] if c in tb[table] and c not in IGNORED_COLUMNS]
            col_list = ", ".join(f'"{c}"' for c in cols)
            # the base table's rows copied into a temporary table next to the new one
            b.execute(f"create temporary table _base as select {col_list} from {table} limit 0")
            with a.cursor().copy(f"copy (select {col_list} from {table}) to stdout") as out, \
                    b.cursor().copy(f"copy _base ({col_list}) from stdin") as into:
                for chunk in out:
                    into.write(chunk)
            only_base = b.execute(f"select count(*) from (select * from _base except all"
                                  f" select {col_list} from {table}) x").fetchone()[0]
            only_new = b.execute(f"select count(*) from (select {col_list} from {table} except all"
                                 f" select * from _base) x").fetchone()[0]
            rows = b.execute(f"select count(*) from {table}").fetchone()[0]
            b.execute("drop table _base")
            b.commit()
            dropped = sorted(set(ta[table]) ^ set(tb[table]))
            report.append({"table": table, "rows": rows, "only_base": only_base, "only_new": only_new,
                           "columns_not_compared": dropped})
    return report


def model_seconds(run_results: Path) -> dict[str, float]:
    data = json.loads(run_results.read_text())
    return {r["unique_id"].split(".")[-1]: r["execution_time"] for r in data["results"]
            if r["unique_id"].startswith("model.")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="commit whose dbt_project/ builds database A")
    parser.add_argument("--profile", default="tiny")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--keep", action="store_true", help="keep both databases")
    args = parser.parse_args()
    out = args.out or ROOT / ".local" / "compare" / args.profile
    out.mkdir(parents=True, exist_ok=True)

    from benchmarks.run import source_env
    from source_simulator.generator import generate
    from tools.simulator_server import running_server
    from tools.testdb import create_database, drop_database, ensure_server

    world = ROOT / ".local" / "sim" / args.profile / "world.sqlite"
    work_world = out / "world"
    shutil.rmtree(work_world, ignore_errors=True)
    if world.exists():  # the clock advances in the served copy, never in the kept world
        work_world.mkdir(parents=True)
        shutil.copy(world, work_world / "world.sqlite")
        world_file = work_world / "world.sqlite"
    else:
        world_file = generate(args.profile, out=work_world).path
    base_project = export_project(args.base, out / "base_src")
    new_project = ROOT / "dbt_project"
    server = ensure_server()
    a_url = create_database(server, prefix=f"cmp_base_{args.profile}")
    b_url = None
    timings: dict[str, float] = {}
    try:
        with running_server(world_file) as base:
            env = source_env(base, a_url)
            run([sys.executable, "-m", "bonus_export", "migrate"], env)
            run([sys.executable, "-m", "extractors", "run"], env)
            b_url = copy_database(a_url, f"cmp_new_{args.profile}")
            timings["full_base_s"] = dbt_build(base_project, a_url, env, out / "target_base_full", nightly=False)
            timings["full_new_s"] = dbt_build(new_project, b_url, env, out / "target_new_full", nightly=False)
            httpx.post(f"{base}/_sim/clock", json={"advance_days": 1}, timeout=60).raise_for_status()
            run([sys.executable, "-m", "extractors", "run"], env)
            copy_raw(a_url, b_url)
            timings["nightly_base_s"] = dbt_build(base_project, a_url, env, out / "target_base_nightly", nightly=True)
            timings["nightly_new_s"] = dbt_build(new_project, b_url, env, out / "target_new_nightly", nightly=True)
        report = compare(a_url, b_url)
    finally:
        if not args.keep:
            for url in (a_url, b_url):
                try:
                    if url:
                        drop_database(url)
                except psycopg.Error as exc:  # the report matters more than the clean-up
                    print(f"could not drop {url.rsplit('/', 1)[1]}: {exc}", file=sys.stderr)
        else:
            print("kept:", a_url, b_url)

    before = model_seconds(out / "target_base_nightly" / "run_results.json")
    after = model_seconds(out / "target_new_nightly" / "run_results.json")
    print(f"{'model':45} {'nightly base s':>15} {'nightly new s':>14}")
    for name in sorted(set(before) | set(after), key=lambda n: -max(before.get(n, 0), after.get(n, 0))):
        b, n = before.get(name), after.get(name)
        print(f"{name:45} {b if b is None else round(b, 2)!s:>15} {n if n is None else round(n, 2)!s:>14}")
    print(f"{'sum of model seconds':45} {sum(before.values()):15.1f} {sum(after.values()):14.1f}")
    print({k: round(v, 1) for k, v in timings.items()})
    bad = [r for r in report if r.get("only_base") or r.get("only_new")]
    for r in report:
        flag = "DIFF" if r in bad else ("    " if "rows" in r else "SKIP")
        print(flag, json.dumps(r, ensure_ascii=False))
    (out / "report.json").write_text(json.dumps(
        {"base": args.base, "timings": timings, "tables": report,
         "nightly_model_seconds": {"base": before, "new": after}}, indent=1))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
