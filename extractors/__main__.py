"""`python -m extractors run [--source helpdesk ...] [--entity issues ...]`, `python -m extractors sources`"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from extractors.common.runner import EntityResult
from extractors.run import extract
from extractors.sources import all_sources
from warehouse.settings import MissingSetting, UnsafeSetting

cli = typer.Typer(add_completion=False, help="Extract the sources into the raw_* schemas of the warehouse.")


@cli.callback()
def main() -> None:
    """Extractors of the registered sources (settings from the environment; see docs/extractors.md)."""


@cli.command()
def sources() -> None:
    """List the registered sources and their entities (raw tables)."""
    table = Table(title="sources")
    for col in ("source", "entity", "load", "after"):
        table.add_column(col)
    for src in all_sources():
        for e in src.entities:
            table.add_row(src.name, e.name, "full reload" if e.full_reload else "incremental", ", ".join(e.after))
    Console(width=200).print(table)


@cli.command()
def run(
    source: Annotated[list[str] | None, typer.Option("--source", "-s", help="a source of `sources`; repeatable")] = None,
    entity: Annotated[list[str] | None, typer.Option("--entity", "-e", help="raw table name; repeatable")] = None,
) -> None:
    """Extract every configured source (or the chosen ones) once; exit 1 if any entity failed."""
    try:
        results = extract(source or None, entity or None)
    except (UnsafeSetting, MissingSetting) as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    console = Console()
    table = Table(title="extraction")
    for col in ("source", "entity", "status", "seen", "inserted", "rejected", "vanished", "seconds"):
        table.add_column(col, justify="right" if col not in ("source", "entity", "status") else "left")
    failures = []
    for r in results:
        if isinstance(r, EntityResult):
            table.add_row(r.source, r.entity, r.status, str(r.rows_seen), str(r.rows_inserted),
                          str(r.rows_rejected), str(r.rows_vanished), f"{r.seconds:.1f}")
        else:
            failures.append(r)
    console.print(table)
    for exc in failures:
        console.print(f"[red]failed:[/red] {type(exc).__name__}: {exc}")
    if failures:
        raise typer.Exit(1)


if __name__ == "__main__":
    cli()
