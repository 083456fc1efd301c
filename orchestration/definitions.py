"""The Dagster code location: only assembles.

Each area keeps its assets, resources, checks, jobs and schedules in
`orchestration/defs/<area>.py`, exposing a module-level `defs: dagster.Definitions`;
this module merges every such module it finds, so adding an area is adding a file.
"""

from __future__ import annotations

import importlib
import pkgutil

import dagster as dg

from extractors.sources import all_sources
from orchestration import defs as _defs_pkg
from warehouse.settings import check_startup


def _area_definitions() -> list[dg.Definitions]:
    found = []
    for info in sorted(pkgutil.iter_modules(_defs_pkg.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{_defs_pkg.__name__}.{info.name}")
        area = getattr(module, "defs", None)
        if isinstance(area, dg.Definitions):
            found.append(area)
    return found


# Refused before anything loads: a production code location with a demo secret or a demo
# token aimed at a real source never starts (warehouse/settings.py, check_startup).
check_startup("Dagster's code location",
              required=["WAREHOUSE_URL", *(var for s in all_sources() for var in s.env.values())])

defs = dg.Definitions.merge(*_area_definitions())
