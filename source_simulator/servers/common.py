"""Pieces every source's listing uses: query-parameter parsing, the ``moving`` clock creep,
duplicate and malformed-row injection."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from fastapi import Request

from .context import SimContext, request_key
from .errors import SourceError
from .faults import Injected, MalformedSpec, make_malformed, unit

ErrorFactory = Callable[[int, str, str | None], SourceError]


def int_param(request: Request, name: str, default: int | None, err: ErrorFactory, *,
              minimum: int = 0) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise err(400, f"{name} must be an integer, got {raw!r}", name) from None
    if value < minimum:
        raise err(400, f"{name} must be >= {minimum}, got {value}", name)
    return value


def clock_for_page(c: SimContext, request: Request, continuation: bool) -> str:
    """The clock a page is served at; under ``moving`` it creeps on continuation pages."""
    if continuation and c.faults.hits("moving", request_key(request)):
        return c.clock.creep(c.faults.config.moving_minutes)
    return c.clock.get()


def add_duplicate(c: SimContext, request: Request, items: list[Any],
                  previous: Callable[[], Any | None]) -> list[Any]:
    """``duplicates``: the last row of the previous page (``previous()``, None on a first
    page) repeated at the start of this one."""
    if c.faults.on("duplicates") and c.faults.hits("duplicates", request_key(request)):
        row = previous()
        if row is not None:
            return [row, *items]
    return items


def add_malformed(c: SimContext, request: Request, source: str, entity: str, spec: MalformedSpec,
                  items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``malformed``: one extra invalid row (a damaged copy of a real one) in this page."""
    if not items:
        return items
    key = request_key(request)
    if not c.faults.hits("malformed", key):
        return items
    seed = c.faults.config.seed
    n = int(unit(seed, "malformed-n", key) * 1_000_000)
    template = items[int(unit(seed, "malformed-template", key) * len(items))]
    row, kind, bad_key = make_malformed(spec, template, n, unit(seed, "malformed-kind", key))
    c.faults.record(Injected(source=source, entity=entity, kind=kind, key=bad_key, request=key))
    at = int(unit(seed, "malformed-at", key) * (len(items) + 1))
    return [*items[:at], row, *items[at:]]


def add_future_dated(c: SimContext, request: Request, source: str, entity: str,
                     items: list[dict[str, Any]], stamp: str = "updated_at") -> list[dict[str, Any]]:
    """``future_dated``: one row of the page again, its `stamp` moved to the real (wall-clock)
    now plus ``future_minutes``, as a source whose clock runs ahead sends it (naive, as the
    source writes its times, in its zone)."""
    key = request_key(request)
    if not items or not c.faults.hits("future_dated", key):
        return items
    template = items[int(unit(c.faults.config.seed, "future-template", key) * len(items))]
    when = datetime.now(c.tz) + timedelta(minutes=c.faults.config.future_minutes)
    row = {**template, stamp: when.replace(tzinfo=None, microsecond=0).isoformat()}
    c.faults.record(Injected(source=source, entity=entity, kind="future_dated", key=template.get("id"), request=key))
    return [*items, row]
