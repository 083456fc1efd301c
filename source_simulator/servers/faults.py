"""Faults on demand, deterministic given a seed.

Error faults (``rate_limit``, ``server_error``, ``slow``, ``garbled``) hit a request instead
of (or, for ``slow`` and ``garbled``, on top of) its answer. The decision for the k-th
attempt of one request (method, path and query without credentials) is a hash of
(seed, request, k), so a run is reproducible regardless of thread timing; after
``max_consecutive`` faulted attempts of the same request the next one always succeeds,
so a client that retries always gets through.

Data faults change a successful page: ``malformed`` adds extra invalid rows (real rows are
never replaced; the injected keys are listed at ``GET /_sim/faults/injected``),
``duplicates`` repeats the last row of the previous page at the start of the next one, and
``moving`` creeps the clock forward between the pages of a listing.
"""

from __future__ import annotations

import copy
import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

ErrorMode = Literal["rate_limit", "server_error", "slow", "garbled"]
ERROR_MODES: tuple[str, ...] = ("rate_limit", "server_error", "slow", "garbled")
DATA_MODES: tuple[str, ...] = ("malformed", "duplicates", "moving")
ALL_MODES: tuple[str, ...] = ERROR_MODES + DATA_MODES
# A source whose clock runs ahead: rows dated after the real (wall-clock) now, which an
# extractor rejects on purpose; kept apart from ALL_MODES, whose runs converge to the truth.
CLOCK_MODES: tuple[str, ...] = ("future_dated",)
KNOWN_MODES: tuple[str, ...] = ALL_MODES + CLOCK_MODES
MALFORMED_ID_BASE = 990_000_000
MALFORMED_UUID_PREFIX = "badc0de0-0000-4000-8000-"


class FaultConfig(BaseModel):
    """What ``GET /_sim/faults`` shows and ``POST /_sim/faults`` accepts (partial updates)."""

    modes: list[str] = Field(default_factory=list)
    rate: float = Field(default=0.2, ge=0.0, le=1.0)
    seed: int = 7
    retry_after: int = Field(default=1, ge=0, description="seconds, sent in Retry-After")
    retry_after_date: bool = Field(default=False, description="send Retry-After as an HTTP date, not seconds")
    future_minutes: float = Field(default=60.0, ge=0.0, description="future_dated: how far after the real now")
    slow_seconds: float = Field(default=3.0, ge=0.0)
    max_consecutive: int = Field(default=1, ge=1, description="faulted attempts in a row per request")
    moving_minutes: float = Field(default=30.0, ge=0.0, description="clock creep per continuation page")

    @field_validator("modes", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("modes")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        unknown = [m for m in value if m not in KNOWN_MODES]
        if unknown:
            raise ValueError(f"unknown fault mode(s) {unknown}; known: {', '.join(KNOWN_MODES)}")
        return list(dict.fromkeys(value))


def unit(*parts: object) -> float:
    """A deterministic number in [0, 1) from the parts."""
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


@dataclass
class Injected:
    source: str
    entity: str
    kind: str
    key: Any
    request: str


@dataclass
class FaultState:
    config: FaultConfig = field(default_factory=FaultConfig)
    _attempts: dict[str, int] = field(default_factory=dict)
    _streak: dict[str, int] = field(default_factory=dict)
    _injected: dict[tuple, Injected] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def configure(self, config: FaultConfig) -> None:
        with self._lock:
            self.config = config
            self._attempts.clear()
            self._streak.clear()

    def on(self, mode: str) -> bool:
        return mode in self.config.modes

    def error_fault(self, request_key: str) -> str | None:
        """The error fault for this attempt of the request, or None to answer normally."""
        with self._lock:
            cfg = self.config
            enabled = [m for m in ERROR_MODES if m in cfg.modes]
            attempt = self._attempts.get(request_key, 0)
            self._attempts[request_key] = attempt + 1
            if not enabled:
                return None
            if self._streak.get(request_key, 0) >= cfg.max_consecutive:
                self._streak[request_key] = 0
                return None
            if unit(cfg.seed, "error", request_key, attempt) >= cfg.rate:
                self._streak[request_key] = 0
                return None
            mode = enabled[int(unit(cfg.seed, "which", request_key, attempt) * len(enabled))]
            self._streak[request_key] = self._streak.get(request_key, 0) + 1
            self.counts[mode] = self.counts.get(mode, 0) + 1
            return mode

    def hits(self, mode: str, request_key: str) -> bool:
        """Whether a data fault applies to this request (same answer on every attempt)."""
        cfg = self.config
        if mode not in cfg.modes:
            return False
        if mode == "moving":
            return True
        hit = unit(cfg.seed, mode, request_key) < cfg.rate
        if hit:
            with self._lock:
                self.counts[mode] = self.counts.get(mode, 0) + 1
        return hit

    def record(self, item: Injected) -> None:
        with self._lock:
            self._injected.setdefault((item.source, item.entity, item.kind, repr(item.key)), item)

    def injected(self) -> list[Injected]:
        with self._lock:
            return list(self._injected.values())


# ------------------------------------------------------------------ malformed rows
Setter = Callable[[dict[str, Any]], None]


def set_field(path: tuple[str, ...], value: Any) -> Setter:
    def apply(row: dict[str, Any]) -> None:
        target = row
        for part in path[:-1]:
            nxt = target.get(part)
            if not isinstance(nxt, dict):
                nxt = {}
                target[part] = nxt
            target = nxt
        target[path[-1]] = value

    return apply


@dataclass(frozen=True)
class MalformedSpec:
    """How to corrupt a copy of a real row of one entity: the key field, how to make a
    recognisable key from a number, and the kinds of damage (name -> setter)."""

    key_field: str
    make_key: Callable[[int], Any]
    kinds: dict[str, Setter]
    can_drop_key: bool = True


def int_key(n: int) -> int:
    return MALFORMED_ID_BASE + n


def uuid_key(n: int) -> str:
    return f"{MALFORMED_UUID_PREFIX}{n:012d}"


def make_malformed(spec: MalformedSpec, template: dict[str, Any], n: int, pick: float) -> tuple[dict, str, Any]:
    """A corrupted copy of ``template``: returns (row, kind, recognisable key or None)."""
    kinds = list(spec.kinds)
    if spec.can_drop_key:
        kinds = ["missing_key", *kinds]
    kind = kinds[int(pick * len(kinds))]
    row = copy.deepcopy(template)
    if kind == "missing_key":
        row.pop(spec.key_field, None)
        return row, kind, None
    key = spec.make_key(n)
    row[spec.key_field] = key
    spec.kinds[kind](row)
    return row, kind, key
