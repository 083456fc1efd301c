"""Roles, demo users and row-level security from security.yaml, through the REST API.

Dashboards are visible by role (DASHBOARD_RBAC): each role lists its dashboards in
security.yaml and is granted exactly the datasets behind them.

Engineer isolation: the `Engineer` role grants the datasets of the engineer dashboard; a
baseline RLS rule `1 = 0` on the Engineer role hides every row, and each engineer user gets a
role of their own, `Engineer:<login>`, with the rule `personnel_no = '<no>'`. Both rules share
the group key `personnel_no`, so Superset ORs them: a user sees their own rows, and an
Engineer user without a personnel number sees none (fail closed).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import psycopg
import yaml
from pydantic import BaseModel, Field

from superset_assets.client import SupersetClient, SupersetError
from warehouse import connect

PERSONNEL_NO = re.compile(r"^[\w./-]{1,40}$")
RLS_GROUP_KEY = "personnel_no"


class RoleSpec(BaseModel):
    description: str = ""
    all_data: bool = False
    dashboards: list[str] = Field(default_factory=list)
    rls_column: str | None = None


class UserSpec(BaseModel):
    username: str
    first_name: str
    last_name: str
    roles: list[str]
    personnel_no: str | None = None
    email: str | None = None
    # the variable holding the password a new user is created with (users command); unset:
    # SUPERSET_PASSWORD_<USERNAME> (upper case, `-` and `.` as `_`)
    password_env: str | None = None

    def password_variable(self) -> str:
        return self.password_env or "SUPERSET_PASSWORD_" + re.sub(r"[^A-Z0-9]", "_", self.username.upper())


class SecuritySpec(BaseModel):
    roles: dict[str, RoleSpec]
    users: list[UserSpec]

    @classmethod
    def read(cls, path: Path) -> SecuritySpec:
        return cls.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


def pick_personnel_no(setting: str, warehouse_url: str) -> str:
    """`first_active` -> the first active engineer by personnel_no; otherwise the literal."""
    override = os.environ.get("DEMO_ENGINEER_PERSONNEL_NO")
    value = override or setting
    if value == "first_active":
        try:
            with connect(warehouse_url) as conn:
                row = conn.execute(
                    "select personnel_no from marts.dim_engineers where is_active order by personnel_no limit 1"
                ).fetchone()
        except psycopg.errors.UndefinedTable:
            raise SupersetError(
                "marts.dim_engineers does not exist in the warehouse yet: build the marts first "
                "(make pipeline-up), or set DEMO_ENGINEER_PERSONNEL_NO"
            ) from None
        if row is None:
            raise SupersetError("marts.dim_engineers has no active engineer to map the demo engineer user to")
        value = str(row[0])
    if not PERSONNEL_NO.match(value):
        raise SupersetError(f"personnel number {value!r} is not a plain code (letters, digits, ./-)")
    return value


def dataset_perm(ds: dict[str, Any]) -> str:
    """Superset's permission view-menu name of a dataset: `[database].[table](id:N)`."""
    return f"[{ds['database']['database_name']}].[{ds['table_name']}](id:{ds['id']})"


class SecurityApplier:
    def __init__(self, client: SupersetClient) -> None:
        self.c = client
        self._roles: dict[str, int] = {}
        self._pvms: dict[tuple[str, str], int] | None = None
        self.not_created: list[str] = []

    # ---------------------------------------------------------------- lookups
    def role_id(self, name: str) -> int:
        if not self._roles:
            self._roles = {r["name"]: r["id"] for r in self.c.list_all("security/roles")}
        if name not in self._roles:
            self._roles[name] = self.c.post("/api/v1/security/roles/", {"name": name})["id"]
        return self._roles[name]

    def pvm_id(self, permission: str, view_menu: str) -> int:
        if self._pvms is None:
            self._pvms = {
                (p["permission"]["name"], p["view_menu"]["name"]): p["id"]
                for p in self.c.list_all("security/permissions-resources")
            }
        try:
            return self._pvms[(permission, view_menu)]
        except KeyError:
            raise SupersetError(f"Superset has no permission {permission} on {view_menu}") from None

    def dashboard_datasets(self, slug: str) -> list[dict[str, Any]]:
        """Datasets behind a dashboard's charts and native filters (id, table_name, perm, columns)."""
        dash = self.c.get(f"/api/v1/dashboard/{slug}")["result"]
        ids = {d["id"] for d in self.c.get(f"/api/v1/dashboard/{slug}/datasets")["result"]}
        meta = yaml.safe_load(dash.get("json_metadata") or "{}") or {}
        for flt in meta.get("native_filter_configuration", []):
            for target in flt.get("targets", []):
                if target.get("datasetId"):
                    ids.add(target["datasetId"])
        return [self.c.get(f"/api/v1/dataset/{i}")["result"] for i in sorted(ids)]

    # ---------------------------------------------------------------- writes
    def set_role_permissions(self, role: str, pvm_ids: list[int]) -> None:
        self.c.post(f"/api/v1/security/roles/{self.role_id(role)}/permissions", {"permission_view_menu_ids": pvm_ids})

    def upsert_rls(self, name: str, tables: list[int], roles: list[int], clause: str, description: str) -> None:
        payload = {"name": name, "filter_type": "Regular", "tables": tables, "roles": roles,
                   "clause": clause, "group_key": RLS_GROUP_KEY, "description": description}
        existing = {r["name"]: r["id"] for r in self.c.list_all("rowlevelsecurity")}
        if name in existing:
            self.c.put(f"/api/v1/rowlevelsecurity/{existing[name]}", payload)
        else:
            self.c.post("/api/v1/rowlevelsecurity/", payload)

    def find_user(self, username: str) -> dict[str, Any] | None:
        found = self.c.get(
            "/api/v1/security/users/",
            params={"q": f"(filters:!((col:username,opr:eq,value:'{username}')))"},
        )["result"]
        return found[0] if found else None

    def upsert_user(self, spec: UserSpec, roles: list[str], password: str | None, new_password: str | None = None) -> bool:
        """Create the user, or update an existing one's names and roles. An existing user's
        password changes only when `password` is given (the demo's known logins); a missing
        user is created with `password` or else `new_password`, or not at all (returns False)."""
        payload: dict[str, Any] = {
            "first_name": spec.first_name, "last_name": spec.last_name, "username": spec.username,
            "email": spec.email or f"{spec.username}@demo.local", "active": True,
            "roles": [self.role_id(r) for r in roles]}
        found = self.find_user(spec.username)
        if found:
            self.c.put(f"/api/v1/security/users/{found['id']}", {**payload, **({"password": password} if password else {})})
            return True
        if not (password or new_password):
            return False
        self.c.post("/api/v1/security/users/", {**payload, "password": password or new_password})
        return True

    # ---------------------------------------------------------------- the whole set-up
    def apply(self, spec: SecuritySpec, warehouse_url: str, password: str | None,
              new_passwords: dict[str, str] | None = None) -> dict[str, str]:
        """Apply roles, RLS and users; return {username: personnel_no} of engineer users.

        `password` (the demo) is set on every user; None (production) leaves every existing
        user's password as it is, and a missing user is created only with its entry in
        `new_passwords` (the users command), else listed in `self.not_created`."""
        role_tables: dict[str, list[int]] = {}
        for name, role in spec.roles.items():
            pvms: list[int] = []
            if role.all_data:
                pvms.append(self.pvm_id("all_datasource_access", "all_datasource_access"))
            tables: dict[int, dict[str, Any]] = {}
            for slug in role.dashboards:
                for ds in self.dashboard_datasets(slug):
                    tables[ds["id"]] = ds
            for ds in tables.values():
                if role.rls_column and role.rls_column not in {c["column_name"] for c in ds["columns"]}:
                    raise SupersetError(
                        f"role {name}: dataset {ds['table_name']} has no column {role.rls_column}, "
                        "so row-level security cannot restrict it; remove it from the role's dashboards"
                    )
                pvms.append(self.pvm_id("datasource_access", dataset_perm(ds)))
            self.set_role_permissions(name, sorted(set(pvms)))
            role_tables[name] = sorted(tables)
            if role.rls_column:
                self.upsert_rls(f"{name}: no rows without a personnel number", role_tables[name],
                                [self.role_id(name)], "1 = 0", f"baseline of role {name}")
        for slug in sorted({s for role in spec.roles.values() for s in role.dashboards}):
            allowed = [self.role_id(n) for n, role in spec.roles.items() if slug in role.dashboards]
            dash_id = self.c.get(f"/api/v1/dashboard/{slug}")["result"]["id"]
            self.c.put(f"/api/v1/dashboard/{dash_id}", {"roles": allowed})
        mapped: dict[str, str] = {}
        for user in spec.users:
            roles = ["Gamma", *user.roles]
            rls_roles = [r for r in user.roles if spec.roles.get(r) and spec.roles[r].rls_column]
            for base in rls_roles:
                column = spec.roles[base].rls_column
                if not user.personnel_no:
                    continue
                number = pick_personnel_no(user.personnel_no, warehouse_url)
                own = f"{base}:{user.username}"
                self.set_role_permissions(own, [])
                self.upsert_rls(f"{own}: own rows", role_tables[base], [self.role_id(own)],
                                f"{column} = '{number}'", f"user {user.username} = personnel number {number}")
                roles.append(own)
                mapped[user.username] = number
            if not self.upsert_user(user, roles, password, (new_passwords or {}).get(user.username)):
                self.not_created.append(user.username)
        return mapped
