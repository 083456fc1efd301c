"""The source registry: every source the project extracts, in run order.

The project's own sources are the packages `extractors/<name>/` with a `source.py` exporting
`SOURCE` (extractors.common.source.SourceSpec), listed in BUILT_IN. A source kept elsewhere (a
company's own system in its own distribution, or a test) registers through the entry-point group
ENTRY_POINTS, without a line here:

    [project.entry-points."service_warehouse.sources"]
    crm = "company_crm.source:SOURCE"

The runner, the CLI, the Dagster source assets and their checks all read `all_sources()`, so
such a source is extracted, has its assets and checks, and is listed by `python -m extractors
sources`. The entry points are read once per process (`discover()` reads them again).
"""

from __future__ import annotations

import functools
from importlib.metadata import entry_points

from extractors.common.raw import EntitySpec, OwnTable
from extractors.common.source import SourceSpec
from extractors.helpdesk.source import SOURCE as HELPDESK
from extractors.onec.source import SOURCE as ONEC
from extractors.registry.source import SOURCE as REGISTRY
from extractors.schedule.source import SOURCE as SCHEDULE

BUILT_IN: tuple[SourceSpec, ...] = (HELPDESK, SCHEDULE, ONEC, REGISTRY)
ENTRY_POINTS = "service_warehouse.sources"


@functools.cache
def _registered() -> tuple[SourceSpec, ...]:
    found = list(BUILT_IN)
    for point in entry_points(group=ENTRY_POINTS):
        spec = point.load()
        if not isinstance(spec, SourceSpec):
            raise TypeError(f"entry point {point.name} = {point.value} is a {type(spec).__name__}, not a SourceSpec")
        if any(s.name == spec.name for s in found):
            raise ValueError(f"entry point {point.name} = {point.value}: a source named {spec.name!r} is registered"
                             " already")
        found.append(spec)
    return tuple(found)


def discover() -> list[SourceSpec]:
    """Read the entry points again (a process that installed a source after its first look)."""
    _registered.cache_clear()
    return all_sources()


def all_sources() -> list[SourceSpec]:
    return list(_registered())


def source(name: str) -> SourceSpec:
    for s in _registered():
        if s.name == name:
            return s
    raise ValueError(f"unknown source {name!r}; known: {', '.join(s.name for s in _registered())}")


def all_specs() -> list[EntitySpec]:
    return [spec for s in _registered() for spec in s.specs]


def all_own_tables() -> list[OwnTable]:
    return [t for s in _registered() for t in s.own_tables]
