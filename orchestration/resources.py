"""The resources every area shares: the warehouse, and the binding of settings to the environment.

`warehouse` (one `WarehouseResource`) is what the source assets, the dbt build, the forecasts
and the payroll export use. Settings are bound with `EnvVar` (read at run time, shown as such
in the UI): in production always, so a missing variable fails the run naming it and no demo
value is ever used; in demo only when the variable is set, else the local default
(warehouse.settings.DEMO_DEFAULTS), so `dagster dev` runs with nothing configured.
"""

from __future__ import annotations

import functools
import os

import dagster as dg
import psycopg

import warehouse
from warehouse.settings import default_of, is_production

WAREHOUSE_KEY = "warehouse"


def from_env(name: str) -> str | dg.EnvVar:
    """The resource value of setting `name`: EnvVar(name), or in demo its default when unset."""
    if is_production() or os.environ.get(name) or default_of(name) is None:
        return dg.EnvVar(name)
    return default_of(name)  # type: ignore[return-value]


class WarehouseResource(dg.ConfigurableResource):
    """The warehouse (WAREHOUSE_URL)."""

    url: str

    def resolved(self) -> str:
        return self.url

    def connect(self, **kwargs) -> psycopg.Connection:
        return warehouse.connect(self.url, **kwargs)


@functools.cache
def warehouse_resource() -> WarehouseResource:
    """The one instance every area's Definitions holds (merging them needs the same object)."""
    return WarehouseResource(url=from_env("WAREHOUSE_URL"))
