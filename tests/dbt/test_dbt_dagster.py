"""dbt in Dagster: asset keys (the contract docs/dbt.md states), owners and tags, dbt tests as asset checks,
and one real materialisation of a slice through dagster-dbt."""

from __future__ import annotations

import os

import dagster as dg
import pytest

from extractors.run import ensure_schema


def test_a_marts_asset_shows_its_owner_layer_and_domain() -> None:
    """In Dagster's catalogue a mart says who answers for it and where it sits; a staging model
    belongs to the data team."""
    from orchestration.defs.dbt import defs

    graph = defs.resolve_asset_graph()
    kpi = graph.get(dg.AssetKey(["marts", "mart_engineer_kpi"]))
    assert kpi.owners == ["analytics@example.com"]
    assert kpi.tags["layer"] == "marts" and kpi.tags["domain"] == "kpi"
    assert kpi.group_name == "dbt_marts"
    issues = graph.get(dg.AssetKey(["staging", "stg_helpdesk__issues"]))
    assert issues.owners == ["data@example.com"]
    assert issues.tags["layer"] == "staging" and issues.group_name == "dbt_staging"
    assert graph.get(dg.AssetKey(["bi", "bi_money"])).tags["layer"] == "bi"


def test_a_models_meta_owner_wins_over_its_layers() -> None:
    import copy
    import json

    from orchestration.defs.dbt import dbt_project, translator

    manifest = copy.deepcopy(json.loads(dbt_project.manifest_path.read_text(encoding="utf-8")))
    uid = next(u for u, n in manifest["nodes"].items() if n["resource_type"] == "model" and n["name"] == "fct_sales")
    manifest["nodes"][uid]["config"].setdefault("meta", {})["owner"] = "sales-ops@example.com"
    spec = translator.get_asset_spec(manifest, uid, None)
    assert spec.key == dg.AssetKey(["marts", "fct_sales"])
    assert spec.owners == ["sales-ops@example.com"]


def test_definitions_map_sources_to_extractor_assets_and_tests_to_checks() -> None:
    from orchestration.defs.dbt import defs

    graph = defs.resolve_asset_graph()
    keys = graph.get_all_asset_keys()
    for key in (["marts", "fct_events"], ["marts", "fct_tickets"], ["marts", "dim_engineers"],
                ["marts", "dq_unmatched_identities"], ["staging", "stg_helpdesk__issues"]):
        assert dg.AssetKey(key) in keys, key
    assert dg.AssetKey(["raw_helpdesk", "issues"]) in graph.get(dg.AssetKey(["staging", "stg_helpdesk__issues"])).parent_keys
    assert dg.AssetKey(["raw_onec", "bonus_coefficients"]) in graph.get(
        dg.AssetKey(["staging", "stg_onec__bonus_coefficients"])).parent_keys
    checks = {c.name for c in graph.asset_check_keys if c.asset_key == dg.AssetKey(["marts", "fct_tickets"])}
    assert "not_null_fct_tickets_ticket_id" in checks


def test_materialising_a_slice_runs_dbt_and_its_checks(module_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from orchestration.defs.dbt import defs, warehouse_dbt_models
    from orchestration.resources import WAREHOUSE_KEY, WarehouseResource

    ensure_schema(module_db)
    # The definitions bind the warehouse when they load; a run against another database gets
    # its own resource (as a deployment would through WAREHOUSE_URL).
    dbt_vars = ("WAREHOUSE_HOST", "WAREHOUSE_PORT", "WAREHOUSE_USER", "WAREHOUSE_PASSWORD", "WAREHOUSE_DBNAME",
                "DBT_ENV_CUSTOM_ENV_DATA_TESTS")
    for var in dbt_vars:
        monkeypatch.delenv(var, raising=False)
    slice_ = [dg.AssetKey(["staging", "stg_onec__clients"]), dg.AssetKey(["staging", "stg_onec__employees"])]
    result = dg.materialize(
        [warehouse_dbt_models],
        selection=slice_,
        resources={**defs.resources, WAREHOUSE_KEY: WarehouseResource(url=module_db)},
        raise_on_error=False,
    )
    assert result.success
    materialized = {e.event_specific_data.materialization.asset_key for e in result.get_asset_materialization_events()}
    assert materialized == set(slice_)
    # dbt got the run's warehouse; the process running the asset is left as it was
    assert not [var for var in dbt_vars if var in os.environ]
    checks = result.get_asset_check_evaluations()
    assert checks and all(c.passed for c in checks)
    import warehouse

    with warehouse.connect(module_db) as conn:
        assert conn.execute("select to_regclass('staging.stg_onec__clients') is not null").fetchone()[0]


def test_full_pipeline_builds_the_marts_in_one_dbt_step() -> None:
    """A cycle through the forecast assets would split the dbt build into several steps, and dbt's
    eager indirect selection then runs a relationship test before its other parent exists (a
    fresh warehouse's full run fails). The forecasts' views are a dbt asset of their own."""
    from dagster._core.execution.api import create_execution_plan

    from orchestration.definitions import defs

    expected = {
        "full_pipeline": ["warehouse_dbt_forecast_views", "warehouse_dbt_models"],
        # The views over the forecasts change only when the weekly forecast job writes new ones.
        "nightly_pipeline": ["warehouse_dbt_models"],
        "weekly_forecasts": ["warehouse_dbt_forecast_views"],
    }
    for job, steps in expected.items():
        plan = create_execution_plan(defs.get_job_def(job))
        dbt_steps = sorted(s.key for s in plan.get_all_steps_in_topo_order() if "dbt" in s.key)
        assert dbt_steps == steps, (job, dbt_steps)
    full = create_execution_plan(defs.get_job_def("full_pipeline"))
    views = full.get_step_by_key("warehouse_dbt_forecast_views")
    upstream = {h.step_key for i in views.step_inputs for h in i.get_step_output_handle_dependencies()}
    assert "prophet_forecasts" in upstream
