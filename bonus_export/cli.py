"""`python -m bonus_export migrate | teams | serve | export`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

import warehouse
from bonus_export.periods import BadPeriod, parse_period
from bonus_export.settings import Settings
from warehouse.settings import UnsafeSetting

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        typer.echo(f"bad setting: {exc}", err=True)
        raise typer.Exit(2) from exc


@app.command("migrate")
def migrate_cmd() -> None:
    """Create or upgrade the payroll schema (alembic; idempotent)."""
    from bonus_export.migrate import current_revision, migrate

    settings = _settings()
    migrate(settings.warehouse_url)
    typer.echo(f"payroll schema at revision {current_revision(settings.warehouse_url)}")


@app.command("teams")
def teams_cmd(
    file: Annotated[Path | None, typer.Option(help="`username;team_name` file (default TEAM_MANAGERS_FILE)")] = None,
) -> None:
    """Load who manages which team into payroll.team_managers (replacing it) and print it."""
    from bonus_export import duties
    from bonus_export.migrate import migrate

    settings = _settings()
    path = file or settings.team_managers_file
    if path is None:
        typer.echo("no mapping file: pass --file or set TEAM_MANAGERS_FILE", err=True)
        raise typer.Exit(2)
    migrate(settings.warehouse_url)
    try:
        with warehouse.connect(settings.warehouse_url, autocommit=True) as conn:
            mapping = duties.load_team_managers(conn, path)
    except (OSError, duties.BadMapping) as exc:
        typer.echo(f"cannot load {path}: {exc}", err=True)
        raise typer.Exit(1) from exc
    for username, teams in sorted(mapping.items()):
        typer.echo(f"{username}: {', '.join(teams)}")


@app.command("serve")
def serve_cmd(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8090,
) -> None:
    """Migrate, then serve the approvals page."""
    import uvicorn

    from bonus_export.web import create_app

    settings = _settings()
    try:
        settings.check_startup()
    except UnsafeSetting as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info")


@app.command("export")
def export_cmd(
    period: Annotated[str | None, typer.Option(help="YYYY-MM; without it every period with "
                                                     "unexported valid approvals")] = None,
    out: Annotated[Path | None, typer.Option(help="output folder (default PAYROLL_EXPORT_DIR)")] = None,
) -> None:
    """Migrate, then export valid unexported approvals to approved_bonuses_<period>_<batch>.csv."""
    from bonus_export.export import ExportError, export
    from bonus_export.migrate import migrate

    settings = _settings()
    try:
        period_start = parse_period(period) if period else None
    except BadPeriod as exc:
        typer.echo(f"--period: {exc}", err=True)
        raise typer.Exit(2) from exc
    migrate(settings.warehouse_url)
    try:
        with warehouse.connect(settings.warehouse_url, autocommit=True) as conn:
            report = export(conn, settings, period_start=period_start, out_dir=out, created_by="cli")
    except ExportError as exc:
        typer.echo(f"export failed: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(report.summary())
    if report.refused:
        typer.echo(f"{len(report.refused)} decision(s) refused: payroll.bonus_approvals disagrees with "
                   "payroll.approval_log (see above)", err=True)
        raise typer.Exit(1)
