"""Help-desk (Okdesk API v1) records built from store rows as of a clock."""

from __future__ import annotations

import sqlite3
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import orjson

from source_simulator.store import as_of_clause

from .faults import MalformedSpec, int_key, set_field
from .timefmt import store_to_local_iso
from .world import World

STATUS_NAMES = {"opened": "Открыта", "in_progress": "В работе", "delayed": "Отложена",
                "completed": "Решена", "closed": "Закрыта"}
PRIORITY_NAMES = {"low": "Низкий", "normal": "Обычный", "high": "Высокий", "critical": "Критический"}
TYPE_NAMES = {"emergency_repair": "Аварийный ремонт", "diagnostics": "Диагностика",
              "maintenance": "Техническое обслуживание", "installation": "Монтаж",
              "remote_support": "Удалённая поддержка", "consultation": "Консультация",
              "paid_visit": "Платный выезд"}
ACTIVITY_NAME = "Вид работ"

ISSUE_TIME_FIELDS = ("created_at", "updated_at", "completed_at", "deadline_at",
                     "planned_reaction_at", "reacted_at", "delayed_to")


def number(text: str | None) -> float | int | None:
    """Decimal text -> JSON number (integers stay integers)."""
    if text is None or text == "":
        return None
    value = Decimal(text)
    return int(value) if value == value.to_integral_value() else float(value)


def full_name(row: sqlite3.Row) -> str:
    return " ".join(p for p in (row["last_name"], row["first_name"], row["patronymic"]) if p)


def employees_by_id(world: World, ids: set[int], now: str) -> dict[int, sqlite3.Row]:
    ids.discard(None)  # type: ignore[arg-type]
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    sql = (f"select * from hd_employees where id in ({marks}) and "
           f"valid_from <= ? and (valid_to is null or valid_to > ?)")
    return {row["id"]: row for row in world.query(sql, [*ids, now, now])}


def teams_by_id(world: World) -> dict[int, str]:
    return {row["id"]: row["name"] for row in world.query("select id, name from teams")}


def _coded(code: str | None, names: dict[str, str]) -> dict[str, str] | None:
    return None if code is None else {"code": code, "name": names.get(code, code)}


def issue(row: sqlite3.Row, employees: dict[int, sqlite3.Row], tz: ZoneInfo) -> dict[str, Any]:
    assignee = employees.get(row["assignee_id"])
    parameters: list[dict[str, Any]] = []
    if row["complexity"] is not None:
        parameters.append({"code": "complexity", "name": "Сложность", "field_type": "ftselect",
                           "value": row["complexity"]})
    parameters.append({"code": "escalated", "name": "Эскалация", "field_type": "ftcheckbox",
                       "value": bool(row["escalated"])})
    parameters.append({"code": "vip_contact", "name": "VIP-контакт", "field_type": "ftcheckbox",
                       "value": bool(row["vip_contact"])})
    out: dict[str, Any] = {"id": row["id"], "title": row["title"]}
    for name in ISSUE_TIME_FIELDS:
        out[name] = store_to_local_iso(row[name], tz)
    out.update({
        "source": row["source"],
        "company_id": row["company_id"],
        "service_object_id": row["service_object_id"],
        "equipment_ids": orjson.loads(row["equipment_ids"]),
        "parent_id": row["parent_id"],
        "assignee": None if row["assignee_id"] is None else {
            "id": row["assignee_id"], "name": full_name(assignee) if assignee else None},
        "group_id": row["group_id"],
        "type": _coded(row["type_code"], TYPE_NAMES),
        "priority": _coded(row["priority_code"], PRIORITY_NAMES),
        "status": _coded(row["status_code"], STATUS_NAMES),
        "rate": None if row["rate"] is None else {"value": row["rate"]},
        "parameters": parameters,
    })
    return out


def issues(world: World, rows: list[sqlite3.Row], now: str, tz: ZoneInfo) -> list[dict[str, Any]]:
    employees = employees_by_id(world, {r["assignee_id"] for r in rows}, now)
    return [issue(r, employees, tz) for r in rows]


def time_entry(row: sqlite3.Row, employees: dict[int, sqlite3.Row], tz: ZoneInfo, *,
               feed: bool) -> dict[str, Any]:
    emp = employees.get(row["employee_id"])
    out: dict[str, Any] = {"id": row["id"]}
    if feed:
        out["issue_id"] = row["issue_id"]
    out["spent_time"] = number(row["spent_time"])
    out["logged_at"] = store_to_local_iso(row["logged_at"], tz)
    if feed:
        out["updated_at"] = store_to_local_iso(row["updated_at"], tz)
    out["employee"] = {"id": row["employee_id"], "login": emp["login"] if emp else None,
                       "name": full_name(emp) if emp else None}
    out["comment"] = row["comment"]
    out["parameters"] = [{"code": "activity", "name": ACTIVITY_NAME, "field_type": "ftselect",
                          "value": row["activity"]}]
    return out


def time_entries(world: World, rows: list[sqlite3.Row], now: str, tz: ZoneInfo, *,
                 feed: bool) -> list[dict[str, Any]]:
    employees = employees_by_id(world, {r["employee_id"] for r in rows}, now)
    return [time_entry(r, employees, tz, feed=feed) for r in rows]


def status_change(row: sqlite3.Row, tz: ZoneInfo) -> dict[str, Any]:
    return {"id": row["id"], "issue_id": row["issue_id"], "status": {"code": row["status_code"]},
            "changed_at": store_to_local_iso(row["changed_at"], tz),
            "author": None if row["author_id"] is None else {"id": row["author_id"]},
            "updated_at": store_to_local_iso(row["updated_at"], tz)}


def employee(row: sqlite3.Row, teams: dict[int, str]) -> dict[str, Any]:
    return {"id": row["id"], "last_name": row["last_name"], "first_name": row["first_name"],
            "patronymic": row["patronymic"], "position": row["position"],
            "active": bool(row["active"]), "email": row["email"], "login": row["login"],
            "groups": [{"id": g, "name": teams.get(g)} for g in orjson.loads(row["group_ids"])]}


def company(row: sqlite3.Row) -> dict[str, Any]:
    return {"id": row["id"], "name": row["name"], "crm_1c_id": row["crm_1c_id"],
            "active": bool(row["active"]),
            "parameters": [{"code": "inn", "name": "ИНН", "field_type": "ftstring", "value": row["inn"]}]}


def site(row: sqlite3.Row, tz: ZoneInfo) -> dict[str, Any]:
    coords = None
    if row["lat"] is not None and row["lon"] is not None:
        coords = [number(row["lat"]), number(row["lon"])]
    return {"id": row["id"], "name": row["name"], "company_id": row["company_id"],
            "address": row["address"], "coordinates": coords,
            "timezone": {"code": row["timezone"]},
            "parameters": [{"code": "site_code", "name": "Код объекта", "field_type": "ftstring",
                            "value": row["site_code"]}],
            "updated_at": store_to_local_iso(row["updated_at"], tz)}


def equipment(row: sqlite3.Row) -> dict[str, Any]:
    def coded(code: str | None, name: str | None) -> dict[str, Any] | None:
        return None if code is None and name is None else {"code": code, "name": name}

    return {"id": row["id"], "serial_number": row["serial_number"],
            "inventory_number": row["inventory_number"],
            "maintenance_entity_id": row["maintenance_entity_id"],
            "company": None if row["company_id"] is None else {"id": row["company_id"]},
            "equipment_kind": coded(row["kind_code"], row["kind_name"]),
            "equipment_model": coded(row["model_code"], row["model_name"]),
            "equipment_manufacturer": coded(row["manufacturer_code"], row["manufacturer_name"])}


AS_OF = as_of_clause()
BAD_TIME = "31-02-2026 25:61"

MALFORMED: dict[str, MalformedSpec] = {
    "issues": MalformedSpec("id", int_key, {
        "bad_timestamp": set_field(("updated_at",), BAD_TIME),
        "unknown_status": set_field(("status",), {"code": "sim_unknown_status", "name": "???"}),
    }),
    "time_entries": MalformedSpec("id", int_key, {
        "bad_timestamp": set_field(("logged_at",), BAD_TIME),
        "bad_number": set_field(("spent_time",), "два часа"),
    }),
    "status_history": MalformedSpec("id", int_key, {
        "bad_timestamp": set_field(("changed_at",), BAD_TIME),
        "unknown_status": set_field(("status",), {"code": "sim_unknown_status"}),
    }),
    "employees": MalformedSpec("id", int_key, {"bad_type": set_field(("active",), "maybe")}),
    "companies": MalformedSpec("id", int_key, {"bad_type": set_field(("active",), "maybe")}),
    "maintenance_entities": MalformedSpec("id", int_key, {
        "bad_timestamp": set_field(("updated_at",), BAD_TIME),
        "bad_coordinates": set_field(("coordinates",), ["north", "east"]),
    }),
    "equipments": MalformedSpec("id", int_key, {
        "bad_type": set_field(("maintenance_entity_id",), "here"),
    }),
}
