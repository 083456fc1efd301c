"""dbt in Dagster: every dbt model is an asset, every dbt test an asset check.

Asset keys (docs/dbt.md): a dbt source `source('raw_<source>', '<table>')` is the
extractor's asset `["raw_<source>", "<table>"]`; a model is `[<schema>, <model name>]`,
e.g. `["marts", "fct_events"]`, `["staging", "stg_helpdesk__issues"]`. Groups follow the
schema (`dbt_staging`, `dbt_intermediate`, `dbt_marts`).

The manifest is prepared by `make dbt-parse` (or on first import here, with `dbt parse`),
so the definitions load without a database.
"""

# No `from __future__ import annotations`: Dagster reads the asset annotations at runtime.

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)

import warehouse

os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "False")

ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT_DIR = ROOT / "dbt_project"
# the dbt of this interpreter's environment (the venv), whether or not it is on PATH
DBT_EXECUTABLE = str(Path(sys.executable).parent / "dbt")

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def prepare_manifest() -> Path:
    """`dbt parse` (what `make dbt-parse` does; no database), written to a private target
    directory and moved into target/manifest.json in one step, so a process loading the
    definitions at the same moment never reads half a manifest."""
    env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "False"}
    target = dbt_project.manifest_path.parent
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target, prefix=".parse-") as private:
        partial = target / "partial_parse.msgpack"  # dbt's parse cache: reuse it, keep it
        if partial.exists():
            shutil.copy2(partial, Path(private) / partial.name)
        done = subprocess.run(
            [DBT_EXECUTABLE, "parse", "--quiet", "--project-dir", str(DBT_PROJECT_DIR),
             "--profiles-dir", str(DBT_PROJECT_DIR), "--target-path", private],
            env=env, capture_output=True, text=True, check=False,
        )
        parsed = Path(private) / "manifest.json"
        if done.returncode != 0 or not parsed.exists():
            raise RuntimeError(f"dbt parse failed in {DBT_PROJECT_DIR}:\n{done.stdout}\n{done.stderr}")
        os.replace(parsed, dbt_project.manifest_path)
        if (Path(private) / partial.name).exists():
            os.replace(Path(private) / partial.name, partial)
    return dbt_project.manifest_path


def manifest_is_stale() -> bool:
    """No manifest, or a model/macro/YAML file newer than it."""
    if not dbt_project.manifest_path.exists():
        return True
    built = dbt_project.manifest_path.stat().st_mtime
    sources = [DBT_PROJECT_DIR / "dbt_project.yml", *DBT_PROJECT_DIR.joinpath("models").rglob("*"),
               *DBT_PROJECT_DIR.joinpath("macros").rglob("*")]
    return any(p.is_file() and p.stat().st_mtime > built for p in sources)


# like DbtProject.prepare_if_dev(), with the venv's dbt: re-parse under `dagster dev`, and
# whenever the manifest is missing or older than the project's files
if os.environ.get("DAGSTER_IS_DEV_CLI") or manifest_is_stale():
    prepare_manifest()


def asset_key_for(props: Mapping[str, Any]) -> dg.AssetKey:
    """The Dagster key of a dbt node (pure; unit-tested)."""
    if props["resource_type"] == "source":
        return dg.AssetKey([props["source_name"], props["name"]])
    schema = (props.get("config") or {}).get("schema") or props.get("schema") or "public"
    return dg.AssetKey([schema, props["name"]])


class WarehouseDbtTranslator(DagsterDbtTranslator):
    """Sources -> the extractors' raw assets; models -> [schema, name]."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        return asset_key_for(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        schema = asset_key_for(dbt_resource_props).path[0]
        return f"dbt_{schema}"


translator = WarehouseDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


DATA_TESTS_TAG = "dbt/data_tests"
# read by the big models' YAML (the data tests' `where:` config, docs/dbt.md); dbt records
# DBT_ENV_CUSTOM_ENV_* variables in run_results.json's metadata
DATA_TESTS_ENV = "DBT_ENV_CUSTOM_ENV_DATA_TESTS"
DATA_TESTS_SINCE_ENV = "DBT_ENV_CUSTOM_ENV_DATA_TESTS_SINCE"

# The rows no earlier build has tested: loaded since the previous build started (the oldest
# processed_at of the incremental models, macros/incremental.sql), or since the start of a load
# that had not finished by then; a load left `running` but superseded by a later load of its
# entity was killed and is ignored, as in the models' cutoff.
_UNTESTED_SINCE = """
with previous as (select min(processed_at) as at from dbt_state.incremental_runs)
select extract(epoch from least(p.at, (
    select min(l.started_at) from raw_meta.loads as l
    where coalesce(l.finished_at, 'infinity'::timestamptz) >= p.at
      and not (l.finished_at is null and exists (
          select 1 from raw_meta.loads as n
          where n.source = l.source and n.entity = l.entity and n.load_id > l.load_id
            and n.started_at < p.at)))))
from previous as p
"""


def untested_since(url: str | None = None) -> float | None:
    """Epoch seconds from which the nightly's row-level tests read the big tables; None when no
    build is recorded yet (then the tests read every row)."""
    with warehouse.connect(url) as conn:
        if conn.execute("select to_regclass('dbt_state.incremental_runs') is null").fetchone()[0]:
            return None
        since = conn.execute(_UNTESTED_SINCE).fetchone()[0]
    return None if since is None else float(since)


def data_tests_scope(tag: str | None, url: str | None = None) -> dict[str, str]:
    """The data tests' environment for a run tagged `tag`: `changed` (the nightly) reads the
    rows loaded since the previous build, every other run every row."""
    since = untested_since(url) if tag == "changed" else None
    if since is None:
        return {DATA_TESTS_ENV: "all"}
    return {DATA_TESTS_ENV: "changed", DATA_TESTS_SINCE_ENV: f"{since:.6f}"}


def dbt_environment(url: str | None = None) -> dict[str, str]:
    """WAREHOUSE_* variables for profiles.yml from WAREHOUSE_URL (the one setting)."""
    return {**warehouse.dbt_env(url or warehouse.warehouse_url()), "DBT_SEND_ANONYMOUS_USAGE_STATS": "False"}


# The views over the forecasts' tables are built after the forecast assets, which read the
# marts: one dbt asset for them, one for the rest. In one multi-asset that cycle
# (marts -> forecasts -> views) made Dagster split the build into several steps, and dbt's
# eager indirect selection then ran a relationship test in a step before its other parent was
# built (on a fresh warehouse: "relation does not exist").
AFTER_FORECASTS = "source:forecasts+"


def _build(context: dg.AssetExecutionContext, dbt: DbtCliResource) -> Iterator[Any]:
    """`dbt build` of the selected models: runs them and their tests (asset checks)."""
    os.environ.update(dbt_environment())
    # unit tests belong to CI (tests/dbt), not to production builds (dbt's advice)
    args = ["build", "--exclude-resource-type", "unit_test"]
    # the nightly job tags its runs: row-level tests of the big incremental tables read only the
    # rows loaded since the previous build (their `where:` config); other runs test every row.
    # Environment variables, not --vars: a var other than the parsed manifest's makes dbt
    # re-parse the whole project, the variables only the YAML files that read them.
    os.environ.pop(DATA_TESTS_SINCE_ENV, None)
    os.environ.update(data_tests_scope(context.run.tags.get(DATA_TESTS_TAG)))
    yield from dbt.cli(args, context=context).stream()


@dbt_assets(
    manifest=dbt_project.manifest_path,
    dagster_dbt_translator=translator,
    project=dbt_project,
    name="warehouse_dbt_models",
    exclude=AFTER_FORECASTS,
    # the executor runs two steps at a time: once the last extraction is done, dbt goes before
    # the queued source checks (which never block it), so the checks overlap the build
    op_tags={"dagster/priority": "1"},
)
def warehouse_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource) -> Iterator[Any]:
    """The marts and everything that does not read the forecasts."""
    yield from _build(context, dbt)


@dbt_assets(
    manifest=dbt_project.manifest_path,
    dagster_dbt_translator=translator,
    project=dbt_project,
    name="warehouse_dbt_forecast_views",
    select=AFTER_FORECASTS,
)
def warehouse_dbt_forecast_views(context: dg.AssetExecutionContext, dbt: DbtCliResource) -> Iterator[Any]:
    """The views over the forecasts' tables, after the forecast assets."""
    yield from _build(context, dbt)


defs = dg.Definitions(
    assets=[warehouse_dbt_models, warehouse_dbt_forecast_views],
    resources={"dbt": DbtCliResource(
            project_dir=dbt_project, profiles_dir=str(DBT_PROJECT_DIR), dbt_executable=DBT_EXECUTABLE
        )},
)
