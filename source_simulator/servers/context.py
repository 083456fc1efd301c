"""What every request handler needs: the world, the simulated clock, faults, settings."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from zoneinfo import ZoneInfo

from fastapi import Request

from .faults import FaultState
from .settings import ServerSettings
from .timefmt import parse_utc, to_store, zone
from .world import World


class ClockError(ValueError):
    """A clock move the world cannot serve (before its start or past its horizon)."""


@dataclass
class SimClock:
    now: str  # store text: UTC ISO with milliseconds and Z
    horizon_end: str
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self) -> str:
        with self._lock:
            return self.now

    def set(self, value: str) -> str:
        value = to_store(parse_utc(value))
        if value > self.horizon_end:
            raise ClockError(
                f"{value} is past the world's horizon {self.horizon_end}; "
                "generate the world with a later --end to go further"
            )
        with self._lock:
            self.now = value
            return self.now

    def creep(self, minutes: float) -> str:
        """Move forward a little (the ``moving`` fault), never past the horizon."""
        with self._lock:
            moved = to_store(parse_utc(self.now) + timedelta(minutes=minutes))
            self.now = min(moved, self.horizon_end)
            return self.now


@dataclass
class RequestCounts:
    """Requests served per ``METHOD path-template`` (``GET /helpdesk/api/v1/issues/{issue_id}``;
    a path no route declares counts as itself), so tests can prove which methods were called."""

    counts: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, key: str) -> None:
        with self._lock:
            self.counts[key] += 1

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(sorted(self.counts.items()))

    def reset(self) -> None:
        with self._lock:
            self.counts.clear()


@dataclass
class SimContext:
    world: World
    clock: SimClock
    faults: FaultState
    settings: ServerSettings
    tz: ZoneInfo
    default_now: str
    requests: RequestCounts = field(default_factory=RequestCounts)


def ctx(request: Request) -> SimContext:
    return request.app.state.sim


def company_zone(settings: ServerSettings, meta: dict[str, str]) -> ZoneInfo:
    return zone(settings.company_tz or meta.get("company_tz") or "Europe/Moscow")


def request_key(request: Request) -> str:
    """Method, path and query without credentials: the identity of a request for faults."""
    items = sorted((k, v) for k, v in request.query_params.multi_items() if k != "api_token")
    query = "&".join(f"{k}={v}" for k, v in items)
    return f"{request.method} {request.url.path}?{query}"
