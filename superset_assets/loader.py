"""Load the dashboards into a running Superset, or export them back into the tree.

    python -m superset_assets.loader load     # import the bundle (overwrite), roles, users, RLS
    python -m superset_assets.loader users    # create the users of a file once (make users)
    python -m superset_assets.loader export   # current dashboards -> superset_assets/bundle/
    python -m superset_assets.loader check    # the bundle's YAML and UUID references

Settings (environment): SUPERSET_URL (default http://127.0.0.1:8088), SUPERSET_ADMIN_PASSWORD
(demo: admin), DEMO_PASSWORD (demo: demo), WAREHOUSE_URL (the warehouse the `warehouse`
database of Superset points at, as postgresql+psycopg2), DEMO_ENGINEER_PERSONNEL_NO (optional),
SUPERSET_USERS_FILE (the users command's file; default security.yaml's users).

In demo `load` gives every user of security.yaml the demo password on every load, so the demo's
logins are known. In production (APP_ENV=production) no load touches a password: `users`
creates the missing users of the file once, each with the password in its variable
(SUPERSET_PASSWORD_<USERNAME> or the user's `password_env`), and leaves existing users' alone.
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
from warehouse.settings import UnsafeSetting, check_startup, is_production

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
    applier = SecurityApplier(client)
    mapped = applier.apply(spec, wh, None if is_production() else demo_password or os.environ.get("DEMO_PASSWORD", "demo"))
    for username in applier.not_created:
        log(f"user {username!r} does not exist: create it with `make users` (SUPERSET_USERS_FILE)")
    return mapped


def log(message: str) -> None:
    typer.echo(f"[superset] {message}", err=True)


def new_user_passwords(spec: SecuritySpec, env: dict[str, str] | None = None) -> dict[str, str]:
    """{username: password} of the file's users from their variables; production refuses an
    unset or demo password naming the variable, demo falls back to DEMO_PASSWORD (demo)."""
    env = dict(os.environ if env is None else env)
    names = {user.username: user.password_variable() for user in spec.users}
    check_startup("the users command", required=list(names.values()), env=env)
    fallback = None if is_production() else env.get("DEMO_PASSWORD") or "demo"
    return {user: env.get(var) or fallback for user, var in names.items()}  # type: ignore[misc]


def create_users(client: SupersetClient, users_file: Path, security_file: Path = SECURITY_FILE,
                 wh_url: str | None = None, env: dict[str, str] | None = None) -> list[str]:
    """Create the missing users of `users_file` (security.yaml's `users:` format, optionally
    with `email` and `password_env`) with the roles and row-level security of security.yaml;
    existing users keep their passwords. Returns the usernames created."""
    import yaml

    roles = SecuritySpec.read(security_file).roles
    users = (yaml.safe_load(users_file.read_text(encoding="utf-8")) or {}).get("users") or []
    spec = SecuritySpec(roles=roles, users=users)
    unknown = sorted({r for u in spec.users for r in u.roles if r not in roles and r != "Gamma"})
    if unknown:
        raise SupersetError(f"{users_file}: unknown roles {unknown} (security.yaml defines {sorted(roles)})")
    passwords = new_user_passwords(spec, env)
    applier = SecurityApplier(client)
    existing = {u.username for u in spec.users if applier.find_user(u.username)}
    applier.apply(spec, wh_url or warehouse_url(), None, passwords)
    return [u.username for u in spec.users if u.username not in existing]


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
    check_startup("the Superset asset loader", required=["SUPERSET_ADMIN_PASSWORD", "WAREHOUSE_URL"])
    settings = SupersetSettings.from_env()
    wait_until_up(settings.url, wait)
    client = SupersetClient.from_settings(settings)
    mapped = load(client, bundle, security)
    typer.echo(f"[superset] imported {bundle} into {settings.url}")
    for user, number in mapped.items():
        typer.echo(f"[superset] user {user!r} sees the rows of personnel number {number}")


@app.command("users")
def users_cmd(
    users_file: Annotated[Path, typer.Option("--file", envvar="SUPERSET_USERS_FILE",
                                             help="the users (security.yaml's `users:` format)")] = SECURITY_FILE,
    security: Annotated[Path, typer.Option(help="roles and RLS")] = SECURITY_FILE,
    wait: Annotated[float, typer.Option(help="seconds to wait for Superset to answer")] = 300,
) -> None:
    """Create the file's missing users once; existing users' passwords are never touched."""
    check_startup("the users command", required=["SUPERSET_ADMIN_PASSWORD", "WAREHOUSE_URL"])
    settings = SupersetSettings.from_env()
    wait_until_up(settings.url, wait)
    created = create_users(SupersetClient.from_settings(settings), users_file, security)
    typer.echo(f"[superset] users created: {', '.join(created) or 'none (all exist; passwords left as they are)'}")


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


def main() -> None:
    try:
        app()
    except UnsafeSetting as exc:
        raise SystemExit(str(exc)) from None


if __name__ == "__main__":
    main()
