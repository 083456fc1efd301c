"""Load the dashboards into a running Superset, or export them back into the tree.

    python -m superset_assets.loader load     # import the bundle (overwrite), roles, users, RLS
    python -m superset_assets.loader export   # current dashboards -> superset_assets/bundle/
    python -m superset_assets.loader check    # the bundle's YAML and UUID references

Settings (environment): SUPERSET_URL (default http://127.0.0.1:8088), SUPERSET_ADMIN_PASSWORD
(admin), DEMO_PASSWORD (demo), WAREHOUSE_URL (the warehouse the `warehouse` database of
Superset points at, as postgresql+psycopg2), DEMO_ENGINEER_PERSONNEL_NO (optional).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Annotated

import httpx
import typer

from superset_assets import BUNDLE_DIR, SECURITY_FILE
from superset_assets.bundle import check_references, pack, read_tree, unpack_export
from superset_assets.client import SupersetClient, SupersetError, SupersetSettings
from superset_assets.security import SecurityApplier, SecuritySpec
from warehouse import sqlalchemy_url, warehouse_url

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False, help=__doc__)


def wait_until_up(url: str, timeout: float = 300.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"{url.rstrip('/')}/health", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise SupersetError(f"Superset at {url} did not answer /health within {timeout:.0f}s")
        time.sleep(1)


def dashboard_uuids(tree: Path) -> dict[str, str]:
    """{uuid: slug} of the dashboards in the tree."""
    return {
        str(p["uuid"]): str(p.get("slug"))
        for rel, p in read_tree(tree).items()
        if rel.startswith("dashboards/")
    }


def load(
    client: SupersetClient,
    tree: Path = BUNDLE_DIR,
    security_file: Path = SECURITY_FILE,
    wh_url: str | None = None,
    demo_password: str | None = None,
) -> dict[str, str]:
    """Import the tree (idempotent: objects are matched by UUID and overwritten), then apply
    roles, users and RLS. Returns {username: personnel_no} of the engineer users."""
    problems = check_references(read_tree(tree))
    if problems:
        raise SupersetError("the bundle is inconsistent:\n  " + "\n  ".join(problems))
    wh = wh_url or warehouse_url()
    client.import_assets(pack(tree, sqlalchemy_url(wh)), passwords={})
    present = {d["uuid"] for d in client.list_all("dashboard", ["id", "uuid", "slug"])}
    missing = [slug for u, slug in dashboard_uuids(tree).items() if u not in present]
    if missing:
        raise SupersetError(f"after the import Superset lacks the dashboards {missing}")
    spec = SecuritySpec.read(security_file)
    password = demo_password or os.environ.get("DEMO_PASSWORD", "demo")
    return SecurityApplier(client).apply(spec, wh, password)


def export(client: SupersetClient, tree: Path = BUNDLE_DIR) -> list[str]:
    """Export every dashboard of the instance into the tree (normalised)."""
    ids = [d["id"] for d in client.list_all("dashboard", ["id"])]
    if not ids:
        raise SupersetError("Superset has no dashboards to export")
    return unpack_export(client.export_dashboards(sorted(ids)), tree)


@app.command("load")
def load_cmd(
    bundle: Annotated[Path, typer.Option(help="the bundle tree")] = BUNDLE_DIR,
    security: Annotated[Path, typer.Option(help="roles, users and RLS")] = SECURITY_FILE,
    wait: Annotated[float, typer.Option(help="seconds to wait for Superset to answer")] = 300,
) -> None:
    settings = SupersetSettings.from_env()
    wait_until_up(settings.url, wait)
    client = SupersetClient.from_settings(settings)
    mapped = load(client, bundle, security)
    typer.echo(f"[superset] imported {bundle} into {settings.url}")
    for user, number in mapped.items():
        typer.echo(f"[superset] user {user!r} sees the rows of personnel number {number}")


@app.command("export")
def export_cmd(bundle: Annotated[Path, typer.Option(help="the bundle tree")] = BUNDLE_DIR) -> None:
    settings = SupersetSettings.from_env()
    client = SupersetClient.from_settings(settings)
    written = export(client, bundle)
    typer.echo(f"[superset] exported {len(written)} files into {bundle}; review with: git diff -- {bundle}")


@app.command("check")
def check_cmd(bundle: Annotated[Path, typer.Option(help="the bundle tree")] = BUNDLE_DIR) -> None:
    problems = check_references(read_tree(bundle))
    for p in problems:
        typer.echo(p, err=True)
    if problems:
        raise typer.Exit(1)
    typer.echo(f"[superset] {bundle}: consistent")


if __name__ == "__main__":
    app()
