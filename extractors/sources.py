"""The source registry: every source the project extracts, in run order.

A new source: a package `extractors/<name>/` with a `source.py` exporting `SOURCE`
(extractors.common.source.SourceSpec), and its line here (docs/extractors.md).
"""

from __future__ import annotations

from extractors.common.raw import EntitySpec, OwnTable
from extractors.common.source import SourceSpec
from extractors.helpdesk.source import SOURCE as HELPDESK
from extractors.onec.source import SOURCE as ONEC
from extractors.registry.source import SOURCE as REGISTRY
from extractors.schedule.source import SOURCE as SCHEDULE

REGISTERED: list[SourceSpec] = [HELPDESK, SCHEDULE, ONEC, REGISTRY]


def all_sources() -> list[SourceSpec]:
    return list(REGISTERED)


def source(name: str) -> SourceSpec:
    for s in REGISTERED:
        if s.name == name:
            return s
    raise ValueError(f"unknown source {name!r}; known: {', '.join(s.name for s in REGISTERED)}")


def all_specs() -> list[EntitySpec]:
    return [spec for s in REGISTERED for spec in s.specs]


def all_own_tables() -> list[OwnTable]:
    return [t for s in REGISTERED for t in s.own_tables]
