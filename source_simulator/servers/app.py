"""The one HTTP app that serves all four sources of one world store."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from . import control, helpdesk, helpdesk_edit, onec, ratelimit, registry, schedule, webhooks
from .context import SimClock, SimContext, company_zone
from .errors import install_handlers
from .faults import FaultConfig, FaultState
from .middleware import FaultMiddleware, RequestCountMiddleware
from .settings import ServerSettings
from .timefmt import parse_utc, to_store
from .world import World


def create_app(world_path: str | Path, *, now: str | None = None, faults: FaultConfig | None = None,
               settings: ServerSettings | None = None) -> FastAPI:
    settings = settings or ServerSettings()
    world = World(world_path, key_cache_entries=settings.sim_key_cache_entries)
    default_now = world.meta["now"]
    clock = SimClock(now=default_now, horizon_end=world.meta["horizon_end"])
    if now:
        clock.set(to_store(parse_utc(now)))
    if faults is None:
        faults = FaultConfig(modes=settings.sim_faults, rate=settings.sim_fault_rate,  # type: ignore[arg-type]
                             seed=settings.sim_fault_seed)
    fault_state = FaultState()
    fault_state.configure(faults)
    app = FastAPI(title="Source simulator", docs_url="/_sim/docs", openapi_url="/_sim/openapi.json",
                  redoc_url=None)
    app.state.sim = SimContext(world=world, clock=clock, faults=fault_state, settings=settings,
                               tz=company_zone(settings, world.meta), default_now=default_now)
    install_handlers(app)
    app.state.rate_limiter = ratelimit.RateLimiter(settings.sim_helpdesk_rate_limit)
    app.add_middleware(FaultMiddleware)
    app.add_middleware(ratelimit.RateLimitMiddleware)
    app.add_middleware(RequestCountMiddleware)  # outermost: requests a fault answers count too
    app.state.webhooks = webhooks.from_settings(world, settings, app.state.sim.tz)
    for module in (control, webhooks, ratelimit, helpdesk_edit, helpdesk, schedule, onec, registry):
        app.include_router(module.router)
    # the routes as declared (path templates), in the order they are matched: the request counter's keys
    app.state.source_routes = [r for m in (helpdesk, schedule, onec, registry) for r in m.router.routes]
    return app
