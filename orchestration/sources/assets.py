"""One Dagster asset per raw table ([raw_<source>, <table>]) with its GX suite check in the same step, freshness checks,
and the `extract_all` job. Thin: the work is in `extractors`."""


import os
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import dagster as dg
from dagster import AssetExecutionContext

from extractors.common.raw import EntitySpec
from extractors.common.source import Entity, SourceSpec
from extractors.run import extract_entity
from extractors.sources import all_sources
from orchestration.resources import WAREHOUSE_KEY
from orchestration.sources import gx_suites
from orchestration.sources.resources import default_resources, extract_config, resource_key

RETRY = dg.RetryPolicy(max_retries=2, delay=30, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS)
FRESHNESS = timedelta(hours=26)  # nightly extraction plus slack
# The nightly job's tag that scopes data tests to what the run changed (DATA_TESTS_TAG in
# orchestration/defs/dbt.py, not imported: that module loads the dbt project). Under it a GX
# suite checks the rows its asset's loads appended in this run; otherwise the current versions.
CHANGED_SCOPE_TAG = "dbt/data_tests"


def asset_key(spec: EntitySpec) -> dg.AssetKey:
    return dg.AssetKey([spec.schema, spec.table])


def _settings_at_load(src: SourceSpec) -> Any:
    """The source's settings as the code location's environment gives them (not validated:
    only the fields that choose a mode are read here; the run validates them all)."""
    return src.settings.model_construct(**{f: os.environ[v] for f, v in src.env.items() if v in os.environ})


GX_CHECK = "gx_raw_suite"
GX_DESCRIPTION = ("Great Expectations, in PostgreSQL: keys unique per version, mandatory fields, codes in "
                  "dictionaries, timestamps in order (current versions; on the nightly, the rows its loads appended)")


def _build_asset(src: SourceSpec, entity: Entity) -> dg.AssetsDefinition:
    """The raw table's asset and its Great Expectations check, one step: the suite runs right
    after the load it checks, in the same process. A step per check cost a process start each
    (some forty steps a night for eighteen tables). The asset is subsettable, so the check can
    still run on its own (then it checks the current versions), and a failed extraction skips
    only its own check, as before."""
    spec = entity.spec
    key = asset_key(spec)
    check_key = dg.AssetCheckKey(key, GX_CHECK)
    # an order that only some modes need (okdesk mode reads per issue of the issues load) is a
    # dependency only in them: in the feeds mode the help-desk feeds run side by side
    ordered = entity.after_applies(_settings_at_load(src))
    deps = [asset_key(src.entity(name).spec) for name in entity.after] if ordered else []

    @dg.multi_asset(
        name="__".join(key.path),
        specs=[dg.AssetSpec(
            key, group_name=spec.schema, deps=deps, kinds={"python", "postgres"},
            description=spec.description + (" (full reload)" if spec.full_reload else " (incremental)"),
            metadata={"table": f"{spec.schema}.{spec.table}", "keys": ", ".join(spec.key_names)},
        )],
        check_specs=[dg.AssetCheckSpec(GX_CHECK, asset=key, description=GX_DESCRIPTION)],
        can_subset=True,
        required_resource_keys={WAREHOUSE_KEY, resource_key(spec.source)},
        retry_policy=RETRY,
    )
    def _asset(context: AssetExecutionContext) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
        if key in context.selected_asset_keys:
            # the loads are recorded under the Dagster run id, so this run's check can find them
            result = extract_entity(spec.source, spec.table,
                                    extract_config(context.resources, spec.source, run_id=context.run.run_id))
            yield dg.MaterializeResult(asset_key=key, metadata={
                "load_id": result.load_id,
                "rows_seen": result.rows_seen,
                "rows_inserted": result.rows_inserted,
                "rows_rejected": result.rows_rejected,
                "rows_vanished": result.rows_vanished,
                "cursor_after": result.cursor_after or "",
            })
        if check_key in context.selected_asset_check_keys:
            yield _gx_result(context, key, f"{spec.schema}.{spec.table}")

    return _asset


def _gx_result(context: AssetExecutionContext, key: dg.AssetKey, table: str) -> dg.AssetCheckResult:
    db = getattr(context.resources, WAREHOUSE_KEY).resolved()
    load_ids = None
    if context.run.tags.get(CHANGED_SCOPE_TAG) == "changed":
        # a check run without its asset has no loads of its own: it checks the current versions
        load_ids = gx_suites.loads_of_run(db, table, context.run.run_id) or None
    started = time.perf_counter()
    outcome = gx_suites.validate(db, table, load_ids)
    return dg.AssetCheckResult(
        asset_key=key,
        check_name=GX_CHECK,
        passed=outcome.success,
        severity=dg.AssetCheckSeverity.ERROR,
        description=outcome.describe(table),
        metadata={"rows": outcome.rows, "dup_versions": outcome.dup_versions, "scope": outcome.scope,
                  "failures": dg.MetadataValue.json(outcome.failures),
                  # what the suite took inside the step (the benchmark sums it)
                  "seconds": round(time.perf_counter() - started, 3)},
    )


def build_sources_defs(resources: dict[str, object] | None = None) -> dg.Definitions:
    """The assets, checks and job of every registered source (extractors.sources)."""
    sources = all_sources()
    specs = [spec for src in sources for spec in src.specs]
    assets = [_build_asset(src, e) for src in sources for e in src.entities]
    freshness = dg.build_last_update_freshness_checks(assets=[asset_key(s) for s in specs],
                                                      lower_bound_delta=FRESHNESS)
    extract_all = dg.define_asset_job(
        "extract_all", selection=dg.AssetSelection.groups(*sorted({s.schema for s in specs})),
        description="Extract every source into raw_* (incremental feeds from their cursors, full reloads)",
    )
    return dg.Definitions(
        assets=assets,
        asset_checks=freshness,
        jobs=[extract_all],
        sensors=[dg.build_sensor_for_freshness_checks(freshness_checks=freshness, name="raw_freshness_sensor")],
        resources=resources if resources is not None else default_resources(),
    )
