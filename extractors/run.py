"""Extract the configured sources into raw: every entity of each source, concurrently per source.

`extract(...)` is what the CLI and the benchmark call; Dagster calls `extract_entity(...)` per
asset. Settings come from the environment unless passed in `ExtractConfig`.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import pickle
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx
import psycopg
from pydantic import SecretStr

from extractors.common.raw import EntitySpec, ensure_raw_schema
from extractors.common.runner import EntityResult, run_load
from extractors.common.settings import CompanySettings, RetrySettings
from extractors.helpdesk.settings import HelpdeskSettings
from extractors.onec.settings import OnecSettings
from extractors.registry.settings import RegistrySettings
from extractors.schedule.settings import ScheduleSettings
from extractors.sources import all_own_tables, all_sources, all_specs, source
from warehouse import libpq_url, warehouse_url
from warehouse.settings import check_startup

# the registry as it is at import (extractors.sources); the functions below read it when called
SOURCES = tuple(s.name for s in all_sources())
ALL_SPECS: list[EntitySpec] = all_specs()


@dataclass
class ExtractConfig:
    """Everything a run needs; unset parts are read from the environment."""

    db_url: str | None = None
    helpdesk: HelpdeskSettings | None = None
    schedule: ScheduleSettings | None = None
    onec: OnecSettings | None = None
    registry: RegistrySettings | None = None
    retry: RetrySettings | None = None
    company: CompanySettings | None = None
    # settings of a source without a field of its own above (source name -> its settings)
    settings: dict[str, Any] = field(default_factory=dict)
    # tests only: wrap the transport (to inject faults the simulator cannot cause)
    transport: Callable[[str], httpx.AsyncBaseTransport | None] | None = None
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])

    def url(self) -> str:
        return self.db_url or warehouse_url()

    def settings_of(self, name: str) -> Any:
        """The source's settings: given here, else read from the environment."""
        given = (getattr(self, name, None) if name in _NAMED else None) or self.settings.get(name)
        return given or source(name).settings()


_NAMED = ("helpdesk", "schedule", "onec", "registry")


def make_client(name: str, cfg: ExtractConfig) -> Any:
    src = source(name)
    transport = cfg.transport(name) if cfg.transport else None
    return src.client(cfg.settings_of(name), (cfg.company or CompanySettings()).tz, cfg.retry or RetrySettings(),
                      transport)


def spec_of(name: str, entity: str) -> EntitySpec:
    return source(name).entity(entity).spec


def ensure_schema(db_url: str, specs: Sequence[EntitySpec] | None = None) -> None:
    specs = all_specs() if specs is None else specs
    with psycopg.connect(libpq_url(db_url), autocommit=True) as conn:
        ensure_raw_schema(conn, specs, all_own_tables())


async def _run_entity(name: str, entity: str, cfg: ExtractConfig, client: Any) -> EntityResult:
    ent = source(name).entity(entity)
    return await run_load(cfg.url(), ent.spec, cfg.run_id, lambda ctx: ent.load(ctx, client))


async def extract_entity_async(source: str, entity: str, cfg: ExtractConfig | None = None) -> EntityResult:
    cfg = cfg or ExtractConfig()
    check_settings([source], cfg)
    ensure_schema(cfg.url())
    async with make_client(source, cfg) as client:
        return await _run_entity(source, entity, cfg, client)


def extract_entity(source: str, entity: str, cfg: ExtractConfig | None = None) -> EntityResult:
    """One entity, synchronously (what a Dagster asset calls). Raises on failure."""
    return asyncio.run(extract_entity_async(source, entity, cfg))


def _waves(name: str, entities: Sequence[str], settings: Any) -> list[list[str]]:
    """The entities in waves: each after the entities it declares `after` (when that applies
    under these settings and they are in this run); each wave runs concurrently."""
    src = source(name)
    todo = list(entities)
    waves: list[list[str]] = []
    done: set[str] = set()
    while todo:
        wave = [e for e in todo
                if not src.entity(e).after_applies(settings)
                or all(dep in done or dep not in todo for dep in src.entity(e).after)]
        if not wave:
            raise ValueError(f"{name}: the `after` dependencies of {', '.join(todo)} form a cycle")
        waves.append(wave)
        done.update(wave)
        todo = [e for e in todo if e not in wave]
    return waves


def _ordered(name: str, entities: Sequence[str], settings: Any) -> bool:
    return len(_waves(name, entities, settings)) > 1


async def _extract_source(name: str, entities: Sequence[str], cfg: ExtractConfig) -> list[EntityResult | BaseException]:
    async with make_client(name, cfg) as client:
        results: list[EntityResult | BaseException] = []
        for wave in _waves(name, entities, cfg.settings_of(name)):
            results += await asyncio.gather(*(_run_entity(name, e, cfg, client) for e in wave),
                                            return_exceptions=True)
        return results


def _check_sources(chosen: Sequence[str]) -> None:
    for s in chosen:
        source(s)


def check_settings(chosen: Sequence[str], cfg: ExtractConfig) -> None:
    """Refuse to extract on unsafe settings (warehouse.settings.check_startup): the values this
    run would use, whether read from the environment or given in `cfg`, so a demo token is
    never sent to a configured real URL."""
    used: dict[str, str] = {**os.environ, "WAREHOUSE_URL": cfg.url()}
    for name in chosen:
        settings = cfg.settings_of(name)
        for field_name, var in source(name).env.items():
            value = getattr(settings, field_name)
            used[var] = value.get_secret_value() if isinstance(value, SecretStr) else str(value)
    names = [var for name in chosen for var in source(name).env.values()]
    check_startup("the extractors", required=["WAREHOUSE_URL", *names], env=used)


async def extract_async(
    sources: Sequence[str] | None = None, entities: Sequence[str] | None = None, cfg: ExtractConfig | None = None,
    *, schema_ready: bool = False,
) -> list[EntityResult | BaseException]:
    cfg = cfg or ExtractConfig()
    chosen = list(sources or [x.name for x in all_sources()])
    _check_sources(chosen)
    check_settings(chosen, cfg)
    if not schema_ready:
        # DDL (create ... if not exists) takes table locks: never while another process loads
        ensure_schema(cfg.url())
    jobs = []
    for s in chosen:
        names = [spec.table for spec in source(s).specs if not entities or spec.table in entities]
        if names:
            jobs.append(_extract_source(s, names, cfg))
    out: list[EntityResult | BaseException] = []
    for group in await asyncio.gather(*jobs):
        out += group
    return out


# Entities that get a process of their own when a run is split (`EXTRACT_PROCESSES`; declared
# `own_process` in their source): the help-desk feeds are the bulk of every first load, and one
# Python process validating and COPYing all of them was CPU-bound (one core) while the issues
# paging, a sequential chain of requests, waited behind it. The rest of the run stays in the
# calling process.
def own_process() -> list[tuple[str, str]]:
    """The incremental entities whose first load gets a process of its own."""
    return [(s.name, e.name) for s in all_sources() for e in s.entities if e.own_process and not e.full_reload]


OWN_PROCESS: tuple[tuple[str, str], ...] = tuple(own_process())


class ExtractFailure(RuntimeError):
    """An entity's failure from a worker process whose exception could not be carried over as is."""


def _portable(exc: BaseException) -> BaseException:
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:  # noqa: BLE001 - any exception that does not survive the trip is described instead
        return ExtractFailure(f"{type(exc).__name__}: {exc}")
    return exc


def _worker(source: str, entity: str, cfg: ExtractConfig) -> list[EntityResult | BaseException]:
    """One entity in a worker process (spawned: no threads or event loop of the parent come along)."""
    results = asyncio.run(extract_async([source], [entity], cfg, schema_ready=True))
    return [r if isinstance(r, EntityResult) else _portable(r) for r in results]


# a full reload whose last load saw this many rows gets its own process too (on `large` the
# help-desk equipment list, 61k rows every night: ~3 CPU-s of parsing and validation)
BIG_RELOAD_ROWS = 20_000


def _first_load(db_url: str, source: str, entity: str) -> bool:
    with psycopg.connect(libpq_url(db_url)) as conn:
        row = conn.execute(
            "select 1 from raw_meta.loads where source = %s and entity = %s and cursor_after is not null limit 1",
            (source, entity),
        ).fetchone()
    return row is None


def _big_reloads(db_url: str, wanted: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """The wanted full reloads declared `own_process` whose last successful load saw at least
    BIG_RELOAD_ROWS rows."""
    reloads = [pair for pair in wanted
               if (ent := source(pair[0]).entity(pair[1])).full_reload and ent.own_process]
    if not reloads:
        return []
    with psycopg.connect(libpq_url(db_url)) as conn:
        rows = conn.execute(
            """select distinct on (source, entity) source, entity, rows_seen from raw_meta.loads
               where status = 'success' order by source, entity, load_id desc"""
        ).fetchall()
    seen = {(r[0], r[1]): r[2] for r in rows}
    return [pair for pair in reloads if seen.get(pair, 0) >= BIG_RELOAD_ROWS]


def _process_count(cfg: ExtractConfig) -> int:
    retry = cfg.retry or RetrySettings()
    if cfg.transport is not None or retry.max_rps > 0:
        # injected transports do not cross processes; a per-source rate limit must stay in one
        return 1
    return retry.processes if retry.processes > 0 else (os.cpu_count() or 1)


def extract(
    sources: Sequence[str] | None = None, entities: Sequence[str] | None = None, cfg: ExtractConfig | None = None,
) -> list[EntityResult | BaseException]:
    """Every configured entity; failures are returned (and recorded in raw_meta.loads), not raised.

    With more than one process allowed (`EXTRACT_PROCESSES`, default: the number of cores), the
    help-desk feeds of `OWN_PROCESS` that have no cursor yet (a first load: millions of rows)
    and the full reloads whose last load saw at least BIG_RELOAD_ROWS rows each run in a
    spawned process while the calling process extracts the rest; results come back in the
    usual order. Feed increments (nightly runs) stay in the calling process. Each entity's load is its own
    transaction series with its own lock and cursor either way, so the split changes nothing
    in what lands in raw (a run that orders entities by their `after` dependencies, as okdesk mode does, is not split).
    """
    cfg = cfg or ExtractConfig()
    chosen = list(sources or [x.name for x in all_sources()])
    _check_sources(chosen)
    check_settings(chosen, cfg)
    wanted = [(s, spec.table) for s in chosen for spec in source(s).specs if not entities or spec.table in entities]
    own = [pair for pair in own_process() if pair in wanted]
    # entities ordered by their `after` dependencies stay in one process (one client, in order)
    ordered = any(_ordered(s, [e for x, e in wanted if x == s], cfg.settings_of(s)) for s in chosen)
    if _process_count(cfg) < 2 or ordered or len(wanted) < 2:
        return asyncio.run(extract_async(sources, entities, cfg))
    ensure_schema(cfg.url())
    # only a first load (no cursor yet) is worth a process: a nightly increment of a feed is a
    # few dozen pages, less than a spawned interpreter's start (~0.5-1 CPU-s of imports);
    # so is a big full reload
    own = [pair for pair in own if _first_load(cfg.url(), *pair)] + _big_reloads(cfg.url(), wanted)
    if not own:
        return asyncio.run(extract_async(sources, entities, cfg))
    rest = [pair for pair in wanted if pair not in own]
    by_pair: dict[tuple[str, str], list[EntityResult | BaseException]] = {}
    with ProcessPoolExecutor(max_workers=len(own), mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = {pair: pool.submit(_worker, pair[0], pair[1], cfg) for pair in own}
        if rest:
            here = asyncio.run(extract_async(sorted({s for s, _ in rest}, key=chosen.index),
                                             [e for _, e in rest], cfg, schema_ready=True))
            # extract_async returns in `wanted` order for the entities it was given
            for pair, result in zip([p for p in wanted if p in rest], here, strict=True):
                by_pair[pair] = [result]
        for pair, future in futures.items():
            try:
                by_pair[pair] = future.result()
            except Exception as exc:  # noqa: BLE001 - the worker process itself died: that entity failed
                by_pair[pair] = [ExtractFailure(f"{pair[0]}.{pair[1]}: worker process failed: {exc}")]
    return [r for pair in wanted for r in by_pair[pair]]
