"""dbt in Dagster: every dbt model is an asset, every dbt test an asset check.

Asset keys (docs/dbt.md) are dagster-dbt's: a dbt source `source('raw_<source>', '<table>')`
is the extractor's asset `["raw_<source>", "<table>"]`; a model is `[<schema>, <model name>]`,
e.g. `["marts", "fct_events"]`, `["staging", "stg_helpdesk__issues"]`. Groups, owners and tags
follow the layer (the schema: `dbt_staging`, `dbt_intermediate`, `dbt_marts`, `dbt_bi`).

The manifest is prepared by `make dbt-parse` (orchestration/dbt_manifest.py; under `dagster
dev` on load), so the definitions load without a database and without running anything.
"""

# No `from __future__ import annotations`: Dagster reads the asset annotations at runtime.

import contextlib
import os
from collections.abc import Iterator, Mapping
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
from orchestration.dbt_manifest import DBT_EXECUTABLE, DBT_PROJECT_DIR, prepare_manifest
from orchestration.resources import WAREHOUSE_KEY, WarehouseResource, warehouse_resource

os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "False")

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


# Like DbtProject.prepare_if_dev(): `dagster dev` re-parses (with the venv's dbt) so that edits
# show at once; everywhere else loading the definitions runs nothing, and the manifest is
# prepared beforehand by `make dbt-parse` (a prerequisite of demo, run, test and bench).
if os.environ.get("DAGSTER_IS_DEV_CLI"):
    prepare_manifest(dbt_project.manifest_path)
elif not dbt_project.manifest_path.exists():
    raise RuntimeError(f"no dbt manifest at {dbt_project.manifest_path}: run `make dbt-parse` first")


# Who answers for a model when its YAML names nobody (`meta: {owner: ...}` on the model):
# the data team for what mirrors and joins the sources, analytics for the marts and the views
# the dashboards read (the same addresses as the exposures' owners).
LAYER_OWNERS = {
    "staging": "data@example.com",
    "intermediate": "data@example.com",
    "marts": "analytics@example.com",
    "bi": "analytics@example.com",
}


class WarehouseDbtTranslator(DagsterDbtTranslator):
    """dagster-dbt's keys (a source is `[source_name, table]`, the extractor's asset; a model
    `[schema, name]`), plus per model: the group of its layer, its owner, and tags `layer`
    (the schema: staging, intermediate, marts, bi) and `domain` (its folder: core, kpi, bonus ...)."""

    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        props = self.get_resource_props(manifest, unique_id)
        if props["resource_type"] != "model":
            return spec
        layer = props["config"]["schema"]
        tags = {"layer": layer}
        if len(props["fqn"]) > 3:  # [project, layer folder, domain folder, ..., name]
            tags["domain"] = props["fqn"][2]
        owner = (props.get("config", {}).get("meta") or props.get("meta") or {}).get("owner")
        owners = list(spec.owners) or [owner or LAYER_OWNERS[layer]]
        return spec.replace_attributes(group_name=f"dbt_{layer}", owners=owners).merge_attributes(tags=tags)


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


@contextlib.contextmanager
def _environment(values: Mapping[str, str], drop: tuple[str, ...] = ()) -> Iterator[None]:
    """`values` in os.environ (and `drop` out of it) for the block only. DbtCliResource.cli
    hands dbt the process environment and takes no environment of its own; the subprocess
    keeps its copy, and the run's process is left as it was."""
    saved = {name: os.environ.get(name) for name in (*values, *drop)}
    for name in drop:
        os.environ.pop(name, None)
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _build(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource) -> Iterator[Any]:
    """`dbt build` of the selected models: runs them and their tests (asset checks)."""
    # unit tests belong to CI (tests/dbt), not to production builds (dbt's advice)
    args = ["build", "--exclude-resource-type", "unit_test"]
    # the nightly job tags its runs: row-level tests of the big incremental tables read only the
    # rows loaded since the previous build (their `where:` config); other runs test every row.
    # Environment variables, not --vars: a var other than the parsed manifest's makes dbt
    # re-parse the whole project, the variables only the YAML files that read them.
    env = {**dbt_environment(warehouse.resolved()), **data_tests_scope(context.run.tags.get(DATA_TESTS_TAG), warehouse.resolved())}
    with _environment(env, drop=(DATA_TESTS_SINCE_ENV,)):
        invocation = dbt.cli(args, context=context)  # starts dbt with this environment
    yield from invocation.stream()


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
def warehouse_dbt_models(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource
) -> Iterator[Any]:
    """The marts and everything that does not read the forecasts."""
    yield from _build(context, dbt, warehouse)


@dbt_assets(
    manifest=dbt_project.manifest_path,
    dagster_dbt_translator=translator,
    project=dbt_project,
    name="warehouse_dbt_forecast_views",
    select=AFTER_FORECASTS,
)
def warehouse_dbt_forecast_views(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource
) -> Iterator[Any]:
    """The views over the forecasts' tables, after the forecast assets."""
    yield from _build(context, dbt, warehouse)


defs = dg.Definitions(
    assets=[warehouse_dbt_models, warehouse_dbt_forecast_views],
    resources={
        "dbt": DbtCliResource(project_dir=dbt_project, profiles_dir=str(DBT_PROJECT_DIR), dbt_executable=DBT_EXECUTABLE),
        WAREHOUSE_KEY: warehouse_resource(),
    },
)
