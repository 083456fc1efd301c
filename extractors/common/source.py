"""What a source is, declared once: its entities (table spec, loader, the entities loaded before
it), its settings, its client and the environment variables behind its settings.

Every `extractors/<source>/source.py` exports one `SOURCE`; `extractors.sources.all_sources()`
lists them. The runner, the CLI, the Dagster source assets and their checks loop over that list,
so a new source is a new package with a `source.py` and one line in `extractors/sources.py`, or,
kept outside this package, an entry point (extractors/sources.py).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from pydantic_settings import BaseSettings

from extractors.common.raw import EntitySpec, OwnTable
from extractors.common.runner import LoadContext
from extractors.common.settings import RetrySettings

Loader = Callable[[LoadContext, Any], Awaitable[None]]
# (the source's settings, the company zone, retry knobs, an optional transport) -> async client
ClientFactory = Callable[[Any, ZoneInfo, RetrySettings, httpx.AsyncBaseTransport | None], Any]


def _always(settings: Any) -> bool:
    return True


@dataclass(frozen=True)
class Entity:
    """One raw table of a source and how it is loaded."""

    spec: EntitySpec
    load: Loader
    # entities of the same source that must be loaded first (and are its upstream assets in Dagster)
    after: tuple[str, ...] = ()
    # whether `after` orders this run, given the source's settings (some modes read independently)
    after_applies: Callable[[Any], bool] = _always
    # big enough for a process of its own in a split run: an incremental feed on its first load,
    # a full reload when its last load saw BIG_RELOAD_ROWS rows (extractors/run.py)
    own_process: bool = False

    @property
    def name(self) -> str:
        return self.spec.table

    @property
    def full_reload(self) -> bool:
        return self.spec.full_reload


@dataclass(frozen=True)
class SourceSpec:
    name: str
    entities: tuple[Entity, ...]
    settings: type[BaseSettings]
    client: ClientFactory
    # settings field -> environment variable (what the Dagster resource binds with EnvVar)
    env: dict[str, str] = field(default_factory=dict)
    # settings fields that are secrets
    secrets: frozenset[str] = frozenset()
    description: str = ""
    # raw tables of the source that no entity loads (extractors.common.raw.OwnTable)
    own_tables: tuple[OwnTable, ...] = ()

    @property
    def specs(self) -> list[EntitySpec]:
        return [e.spec for e in self.entities]

    def entity(self, name: str) -> Entity:
        for e in self.entities:
            if e.name == name:
                return e
        known = ", ".join(e.name for e in self.entities)
        raise ValueError(f"unknown entity {self.name}.{name}; known: {known}")
