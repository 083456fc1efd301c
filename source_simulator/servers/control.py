"""Control endpoints of the simulator (not part of any source): clock, faults, request counts, health."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, ValidationError, model_validator

from .context import ClockError, SimContext, ctx
from .errors import json_response
from .faults import FaultConfig
from .timefmt import add_days, parse_utc
from .webhooks import sender_of

router = APIRouter(prefix="/_sim")


class ClockMove(BaseModel):
    advance_days: float | None = None
    advance_hours: float | None = None
    now: str | None = None

    @model_validator(mode="after")
    def _one(self) -> ClockMove:
        given = [v for v in (self.advance_days, self.advance_hours, self.now) if v is not None]
        if len(given) != 1:
            raise ValueError('send exactly one of {"advance_days": n}, {"advance_hours": n}, {"now": ISO}')
        return self


def _clock(c: SimContext) -> dict[str, Any]:
    now = c.clock.get()
    return {"now": now, "now_local": parse_utc(now).astimezone(c.tz).isoformat(timespec="milliseconds"),
            "default_now": c.default_now, "horizon_end": c.clock.horizon_end, "company_tz": str(c.tz)}


def _problem(status: int, message: Any) -> Response:
    return json_response({"error": message}, status)


@router.get("/health")
def health(request: Request) -> Response:
    c = ctx(request)
    return json_response({"status": "ok", "world": str(c.world.path), "profile": c.world.meta.get("profile"),
                          "now": c.clock.get(), "faults": c.faults.config.modes,
                          "helpdesk_dialect": c.settings.sim_helpdesk_dialect})


@router.get("/clock")
def get_clock(request: Request) -> Response:
    return json_response(_clock(ctx(request)))


@router.post("/clock")
async def set_clock(request: Request) -> Response:
    c = ctx(request)
    before = c.clock.get()
    try:
        move = ClockMove.model_validate_json(await request.body())
    except ValidationError as exc:
        return _problem(422, exc.errors(include_url=False, include_context=False))
    try:
        if move.now is not None:
            try:
                parse_utc(move.now)
            except ValueError:
                return _problem(422, f"now must be ISO 8601 with an offset, got {move.now!r}")
            c.clock.set(move.now)
        else:
            days = (move.advance_days or 0) + (move.advance_hours or 0) / 24
            c.clock.set(add_days(c.clock.get(), days))
    except ClockError as exc:
        return _problem(409, str(exc))
    if (sender := sender_of(request)) is not None:
        sender.clock_moved(before, c.clock.get())
    return json_response(_clock(c))


@router.get("/faults")
def get_faults(request: Request) -> Response:
    c = ctx(request)
    return json_response({**c.faults.config.model_dump(), "counts": c.faults.counts})


@router.post("/faults")
async def set_faults(request: Request) -> Response:
    """Partial update: fields not sent keep their value; ``{"modes": []}`` switches faults off."""
    c = ctx(request)
    try:
        patch = FaultConfig.model_validate_json(await request.body())
    except ValidationError as exc:
        return _problem(422, exc.errors(include_url=False, include_context=False))
    raw_keys = patch.model_fields_set
    merged = c.faults.config.model_copy(update={k: getattr(patch, k) for k in raw_keys})
    c.faults.configure(merged)
    return json_response({**merged.model_dump(), "counts": c.faults.counts})


@router.get("/faults/injected")
def injected(request: Request) -> Response:
    return json_response([asdict(i) for i in ctx(request).faults.injected()])


@router.get("/requests")
def get_requests(request: Request) -> Response:
    """Source requests served since the start (or the last reset), per method and path template."""
    counts = ctx(request).requests.snapshot()
    return json_response({"counts": counts, "total": sum(counts.values())})


@router.delete("/requests")
def reset_requests(request: Request) -> Response:
    ctx(request).requests.reset()
    return json_response({"counts": {}, "total": 0})
