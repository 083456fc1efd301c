"""One login: users, passwords and roles come from Superset's account tables (Flask-AppBuilder).

Usernames match case-insensitively, as Flask-AppBuilder's default `AUTH_USERNAME_CI = True` does.
Tables read (FAB's names): `ab_user (id, username, password, active, first_name, last_name, email)`,
`ab_role (id, name)`, `ab_user_role (user_id, role_id)`. Passwords are werkzeug hashes.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool
from werkzeug.security import check_password_hash

# Which engineers a decider may decide on is bonus_export.duties' business (teams, own bonus).
DECIDER_ROLES = frozenset({"Admin", "Manager", "Head"})
FINANCE_ROLES = frozenset({"Finance"})
VIEWER_ROLES = DECIDER_ROLES | FINANCE_ROLES


class AccountsUnavailable(RuntimeError):
    pass


@dataclass(frozen=True)
class Account:
    username: str
    display_name: str
    roles: frozenset[str]
    email: str = ""

    @property
    def may_decide(self) -> bool:
        return bool(self.roles & DECIDER_ROLES)

    @property
    def may_export(self) -> bool:
        return bool(self.roles & FINANCE_ROLES)

    @property
    def is_head(self) -> bool:
        return "Head" in self.roles

    @property
    def may_view(self) -> bool:
        return bool(self.roles & VIEWER_ROLES)


class Accounts:
    def __init__(self, database_uri: str) -> None:
        self.database_uri = database_uri
        self._engine: Engine = create_engine(database_uri, poolclass=NullPool)

    def _where(self) -> str:
        return self.database_uri.split("@")[-1]

    def _load(self, username: str) -> tuple[Account, str] | None:
        try:
            with self._engine.connect() as conn:
                user = conn.execute(
                    text(
                        "select id, username, password, active, first_name, last_name, email "
                        "from ab_user where lower(username) = lower(:u) "
                        "order by case when username = :u then 0 else 1 end, id"
                    ),
                    {"u": username},
                ).mappings().first()
                if user is None or not user["active"]:
                    return None
                roles = conn.execute(
                    text(
                        "select r.name from ab_role r join ab_user_role ur on ur.role_id = r.id "
                        "where ur.user_id = :id"
                    ),
                    {"id": user["id"]},
                ).scalars().all()
        except SQLAlchemyError as exc:
            raise AccountsUnavailable(
                f"cannot read Superset's accounts (ab_user, ab_role, ab_user_role) at {self._where()} "
                f"(SUPERSET_DATABASE_URI): {exc.__class__.__name__}: {exc}"
            ) from exc
        name = " ".join(p for p in (user["first_name"], user["last_name"]) if p) or user["username"]
        return Account(user["username"], name, frozenset(roles), user["email"] or ""), user["password"] or ""

    def authenticate(self, username: str, password: str) -> Account | None:
        """The account if the username is active and the password matches, else None."""
        found = self._load(username)
        if found is None:
            return None
        account, pwhash = found
        try:
            ok = check_password_hash(pwhash, password)
        except (ValueError, TypeError):  # not a werkzeug hash
            ok = False
        return account if ok else None

    def current(self, username: str) -> Account | None:
        """The account as it is now (roles re-read: a revoked role takes effect at once)."""
        found = self._load(username)
        return found[0] if found else None
