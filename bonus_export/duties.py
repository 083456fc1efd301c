"""Who may decide on which bonus, and the log of refused attempts.

An account (Superset's) is linked to a personnel number: explicitly in
`payroll.account_people`, else by e-mail (`ab_user.email` = `marts.dim_engineers.email`,
case-insensitively, as 1C's employees carry it). The teams it manages are the rows of
`payroll.team_managers` (team = `marts.dim_engineers.team_name`, the help-desk group).

The rule (docs/approvals.md, "Who may do what"):
- Manager or Admin: decides only for engineers of the teams they manage;
- Head (head of service): decides across all teams;
- nobody decides on their own bonus;
- Finance sees and exports, but does not decide;
- every refusal is answered in Russian and logged in `payroll.refused_attempts`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import psycopg

from bonus_export.accounts import Account

FINANCE_DOES_NOT_DECIDE = ("Финансовая служба видит и выгружает премии, но не утверждает и не отклоняет их: "
                           "решение принимает руководитель команды.")
ROLE_DOES_NOT_DECIDE = ("Решения о премиях принимают только руководители (роли Manager, Head, Admin); "
                        "у вашей учётной записи такой роли нет.")
ONLY_FINANCE_EXPORTS = "Выгрузку утверждённых премий запускает только финансовая служба (роль Finance)."


def own_bonus(personnel_no: str) -> str:
    return (f"Нельзя принимать решение о собственной премии (табельный № {personnel_no}): "
            "её утверждает руководитель службы.")


def other_team(personnel_no: str, team: str | None) -> str:
    where = f"команды «{team}»" if team else "без команды"
    return (f"Инженер с табельным № {personnel_no} ({where}) не входит в ваши команды: "
            "решение принимает руководитель его команды или руководитель службы.")


@dataclass(frozen=True)
class Duties:
    """What one signed-in account may decide."""

    account: Account
    personnel_no: str | None  # the account's own personnel number, if it is an employee
    teams: frozenset[str]

    @property
    def head(self) -> bool:
        return self.account.is_head

    def refusal(self, personnel_no: str, team: str | None) -> str | None:
        """None if this account may decide on the engineer's bonus, else why not (Russian)."""
        if not self.account.may_decide:
            return FINANCE_DOES_NOT_DECIDE if self.account.may_export else ROLE_DOES_NOT_DECIDE
        if self.personnel_no is not None and personnel_no == self.personnel_no:
            return own_bonus(personnel_no)
        if self.head or (team is not None and team in self.teams):
            return None
        return other_team(personnel_no, team)

    def manages(self, team: str | None) -> bool:
        return self.account.may_decide and team is not None and (self.head or team in self.teams)


def duties_of(conn: psycopg.Connection, account: Account) -> Duties:
    row = conn.execute("select personnel_no from payroll.account_people where lower(username) = lower(%s)",
                       (account.username,)).fetchone()
    if row is None and account.email.strip():
        row = conn.execute(
            "select personnel_no::text from marts.dim_engineers "
            "where lower(email) = lower(%s) order by personnel_no limit 1",
            (account.email.strip(),),
        ).fetchone()
    teams = [r[0] for r in conn.execute(
        "select team_name from payroll.team_managers where lower(username) = lower(%s)", (account.username,)
    ).fetchall()]
    return Duties(account, row[0] if row else None, frozenset(teams))


def team_of(conn: psycopg.Connection, personnel_no: str) -> str | None:
    row = conn.execute("select team_name from marts.dim_engineers where personnel_no::text = %s",
                       (personnel_no,)).fetchone()
    return row[0] if row else None


def log_refused(conn: psycopg.Connection, *, username: str, action: str, reason: str,
                personnel_no: str | None = None, period_start: date | None = None) -> None:
    """Record a refused attempt (its own transaction: nothing else of the request is kept)."""
    with conn.transaction():
        conn.execute(
            "insert into payroll.refused_attempts (username, action, personnel_no, period_start, reason) "
            "values (%s, %s, %s, %s, %s)",
            (username or "(не вошёл)", action, personnel_no or None, period_start, reason),
        )


def set_team_managers(conn: psycopg.Connection, username: str, teams: list[str]) -> None:
    """Replace the teams an account manages (the service's own mapping)."""
    with conn.transaction():
        conn.execute("delete from payroll.team_managers where lower(username) = lower(%s)", (username,))
        for team in teams:
            conn.execute("insert into payroll.team_managers (username, team_name) values (%s, %s)",
                         (username, team))


def link_person(conn: psycopg.Connection, username: str, personnel_no: str) -> None:
    """Link an account to a personnel number explicitly (when e-mails do not match)."""
    conn.execute(
        "insert into payroll.account_people (username, personnel_no) values (%s, %s) "
        "on conflict (username) do update set personnel_no = excluded.personnel_no",
        (username, personnel_no),
    )


class BadMapping(ValueError):
    pass


def read_team_managers(path) -> dict[str, list[str]]:
    """`username;team_name` rows (UTF-8, a header row) -> {username: [team, ...]}."""
    import csv
    from pathlib import Path

    text = Path(path).read_text(encoding="utf-8-sig")
    rows = list(csv.reader(text.splitlines(), delimiter=";"))
    if not rows or [c.strip() for c in rows[0]] != ["username", "team_name"]:
        raise BadMapping(f"{path}: the first row must be `username;team_name`")
    out: dict[str, list[str]] = {}
    for n, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        if len(row) != 2 or not row[0].strip() or not row[1].strip():
            raise BadMapping(f"{path}, row {n}: expected `username;team_name`, got {';'.join(row)!r}")
        out.setdefault(row[0].strip(), []).append(row[1].strip())
    return out


def load_team_managers(conn: psycopg.Connection, path) -> dict[str, list[str]]:
    """Make payroll.team_managers exactly the file's mapping (the file is the source when configured)."""
    mapping = read_team_managers(path)
    with conn.transaction():
        conn.execute("delete from payroll.team_managers")
        for username, teams in mapping.items():
            for team in dict.fromkeys(teams):
                conn.execute("insert into payroll.team_managers (username, team_name) values (%s, %s)",
                             (username, team))
    return mapping
