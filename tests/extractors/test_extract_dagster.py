"""The source assets load in the code location, and `extract_all` materialises the tiny world with checks passing."""

from __future__ import annotations

import dagster as dg

from orchestration.resources import WarehouseResource
from orchestration.sources.assets import build_sources_defs
from orchestration.sources.resources import SourceResource


def test_source_assets_are_in_the_code_location():
    from orchestration.definitions import defs

    dg.Definitions.validate_loadable(defs)
    keys = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
    assert {"raw_helpdesk/issues", "raw_schedule/shifts", "raw_onec/sales", "raw_registry/equipment"} <= keys
    assert defs.get_job_def("extract_all") is not None


def test_extract_all_materialises_tiny_and_checks_pass(sim, fresh_db):
    defs = build_sources_defs({
        "warehouse": WarehouseResource(url=fresh_db),
        "helpdesk_source": SourceResource(source="helpdesk", values={"url": f"{sim.base}/helpdesk"}),
        "schedule_source": SourceResource(source="schedule", values={"url": f"{sim.base}/schedule"}),
        "onec_source": SourceResource(source="onec", values={"url": f"{sim.base}/onec"}),
        "registry_source": SourceResource(source="registry", values={"path": f"{sim.base}/registry.xlsx"}),
    })
    result = defs.get_job_def("extract_all").execute_in_process(instance=dg.DagsterInstance.ephemeral())
    assert result.success
    materialized = {m.asset_key.to_user_string() for m in result.get_asset_materialization_events()
                    for m in [m.event_specific_data.materialization]}
    assert len(materialized) == 18
    evaluations = [e.event_specific_data for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"]
    gx = [e for e in evaluations if e.check_name == "gx_raw_suite"]
    assert len(gx) == 18
    failed = [(e.asset_key.to_user_string(), e.metadata.get("failures")) for e in gx if not e.passed]
    assert not failed, failed
