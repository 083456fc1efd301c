"""``python -m source_simulator.servers --world PATH [--host] [--port] [--now ISO] [--faults LIST]
[--helpdesk-dialect relay|okdesk]``"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from pydantic import ValidationError

from .app import create_app
from .context import ClockError
from .faults import FaultConfig
from .settings import ServerSettings
from .world import WorldError

cli = typer.Typer(add_completion=False)


@cli.command()
def serve(
    world: Annotated[Path, typer.Option(help="world store written by `python -m source_simulator generate`")],
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8070,
    now: Annotated[str | None, typer.Option(help="clock, ISO 8601 with offset (default: meta.now)")] = None,
    faults: Annotated[str | None, typer.Option(
        help="comma-separated fault modes: rate_limit,server_error,slow,garbled,malformed,duplicates,moving")] = None,
    fault_rate: Annotated[float | None, typer.Option(help="share of requests/pages hit, 0..1")] = None,
    fault_seed: Annotated[int | None, typer.Option()] = None,
    helpdesk_dialect: Annotated[str | None, typer.Option(
        help="relay (our extension feeds) or okdesk (only documented Okdesk methods); default SIM_HELPDESK_DIALECT"
        " or relay")] = None,
    log_level: Annotated[str, typer.Option()] = "warning",
) -> None:
    """Serve the four sources of one world store over HTTP."""
    try:
        settings = ServerSettings()
        if helpdesk_dialect is not None:
            settings = ServerSettings.model_validate({**settings.model_dump(by_alias=True),
                                                      "SIM_HELPDESK_DIALECT": helpdesk_dialect})
    except ValidationError as exc:
        print(f"source simulator: {exc}", file=sys.stderr)
        raise typer.Exit(2) from None
    try:
        config = FaultConfig(
            modes=faults if faults is not None else settings.sim_faults,  # type: ignore[arg-type]
            rate=fault_rate if fault_rate is not None else settings.sim_fault_rate,
            seed=fault_seed if fault_seed is not None else settings.sim_fault_seed)
        app = create_app(world, now=now, faults=config, settings=settings)
    except (WorldError, ClockError, ValidationError, ValueError) as exc:
        print(f"source simulator: {exc}", file=sys.stderr)
        raise typer.Exit(2) from None
    uvicorn.run(app, host=host, port=port, log_level=log_level, access_log=False)


if __name__ == "__main__":
    cli()
