"""``python -m source_simulator generate|truth|workbook``: the simulator's world on the command line."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from source_simulator.profiles import DEFAULT_END, DEFAULT_SEED, PROFILES

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)
console = Console(stderr=True)


def _parse_end(value: str | None) -> date:
    if value is None:
        return DEFAULT_END
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"--end must be a date YYYY-MM-DD, got {value!r}") from None


@app.command()
def generate(
    profile: Annotated[str, typer.Option(help=f"one of {', '.join(PROFILES)}")] = "tiny",
    seed: Annotated[int, typer.Option(help="random seed")] = DEFAULT_SEED,
    end: Annotated[str | None, typer.Option(help="end date YYYY-MM-DD (the default clock is its "
                                                 "midnight, company zone)")] = None,
    out: Annotated[Path | None, typer.Option(help="output directory (default .local/sim/<profile>)")] = None,
    months: Annotated[int | None, typer.Option(help="history length in months (default: the profile's)")] = None,
) -> None:
    """Generate a world into DIR/world.sqlite."""
    from source_simulator.generator import generate as run

    if profile not in PROFILES:
        raise typer.BadParameter(f"unknown profile {profile!r}; expected one of {', '.join(PROFILES)}")
    target = out or Path(".local/sim") / profile
    result = run(profile, seed=seed, end=_parse_end(end), out=target, progress=True, months=months)
    total = sum(result.counts.values())
    console.print(f"[green]wrote[/] {result.path} ({total:,} rows in {result.seconds:.1f}s)")


@app.command()
def truth(
    world: Annotated[Path, typer.Option(help="DIR/world.sqlite (or DIR)")],
    out: Annotated[Path, typer.Option(help="directory for the CSV files")],
    now: Annotated[str | None, typer.Option(help="clock, ISO-8601 (default: the world's meta.now)")] = None,
) -> None:
    """Write the ground truth as of the clock: one CSV per table."""
    from source_simulator.truth import write_truth

    if not world.exists():
        raise typer.BadParameter(f"no world at {world}; run `python -m source_simulator generate` first")
    written = write_truth(world, out, now)
    console.print(f"[green]wrote[/] {len(written)} files into {out}")


@app.command()
def workbook(
    world: Annotated[Path, typer.Option(help="DIR/world.sqlite (or DIR)")],
    out: Annotated[Path, typer.Option(help="xlsx file to write")],
    now: Annotated[str | None, typer.Option(help="clock, ISO-8601 (default: the world's meta.now)")] = None,
) -> None:
    """Write the registry workbook as of the clock."""
    from source_simulator import store
    from source_simulator.registry_workbook import render_workbook
    from source_simulator.truth import _world_file, resolve_now

    conn = store.connect(_world_file(world), readonly=True)
    try:
        out.write_bytes(render_workbook(conn, resolve_now(conn, now)))
    finally:
        conn.close()
    console.print(f"[green]wrote[/] {out}")


if __name__ == "__main__":
    app()
