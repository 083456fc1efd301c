"""The Dagster code location: only assembles.

Each area keeps its assets, resources, checks, jobs and schedules in
`orchestration/defs/<area>.py`, exposing a module-level `defs: dagster.Definitions`;
this module merges every such module it finds, so adding an area is adding a file.
"""

from __future__ import annotations

import importlib
import pkgutil

import dagster as dg

from orchestration import defs as _defs_pkg


def _area_definitions() -> list[dg.Definitions]:
    found = []
    for info in sorted(pkgutil.iter_modules(_defs_pkg.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{_defs_pkg.__name__}.{info.name}")
        area = getattr(module, "defs", None)
        if isinstance(area, dg.Definitions):
            found.append(area)
    return found


defs = dg.Definitions.merge(*_area_definitions())
