"""The sources' Dagster resources, one per registered source, from the registry.

Each is a `SourceResource` carrying the source's settings fields that the registry binds to
environment variables (`SourceSpec.env`), through `orchestration.resources.from_env`: EnvVar in
production, the simulator's defaults in demo when unset. Other settings of a source (page sizes,
retry knobs) stay read from its own environment variables.
"""

from __future__ import annotations

from typing import Any

import dagster as dg

from extractors.common.settings import CompanySettings, RetrySettings
from extractors.run import ExtractConfig
from extractors.sources import all_sources, source
from orchestration.resources import WAREHOUSE_KEY, WarehouseResource, from_env, warehouse_resource


class SourceResource(dg.ConfigurableResource):
    """One source's environment-bound settings (field name -> value), by source name."""

    source: str
    values: dict[str, str] = {}

    def settings(self) -> Any:
        return source(self.source).settings(**self.values)


def resource_key(name: str) -> str:
    return f"{name}_source"


def source_resource(name: str) -> SourceResource:
    src = source(name)
    return SourceResource(source=name, values={field: from_env(var) for field, var in src.env.items()})


def default_resources() -> dict[str, dg.ConfigurableResource]:
    return {WAREHOUSE_KEY: warehouse_resource(), **{resource_key(s.name): source_resource(s.name) for s in all_sources()}}


def extract_config(resources: object, name: str, run_id: str | None = None) -> ExtractConfig:
    """ExtractConfig from a run's resources (retry knobs and time zone stay EXTRACT_*/COMPANY_TZ);
    `run_id` (the Dagster run's) is what raw_meta.loads records for each load."""
    db: WarehouseResource = getattr(resources, WAREHOUSE_KEY)
    res: SourceResource = getattr(resources, resource_key(name))
    cfg = ExtractConfig(db_url=db.resolved(), retry=RetrySettings(), company=CompanySettings(),
                        **({"run_id": run_id} if run_id else {}))
    cfg.settings[name] = res.settings()
    return cfg
