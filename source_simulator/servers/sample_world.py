"""A small hand-written world store: enough rows of every table to exercise paging, clock
moves and tombstones without the generator. Used by the server tests and handy for trying
the server: ``python -m source_simulator.servers.sample_world OUT.sqlite``."""

from __future__ import annotations

import json
import sqlite3
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from source_simulator import store

START = datetime(2026, 1, 5, 6, 0, tzinfo=UTC)
NOW = "2026-03-01T21:00:00.000Z"         # 2026-03-02 00:00 Moscow
HORIZON = "2026-03-15T21:00:00.000Z"
ISSUES_BEFORE_NOW = 120                   # created before NOW
ISSUES_AFTER_NOW = 10                     # created between NOW and NOW + 5 days
SHIFTS = 40


def ts(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _uuid(kind: str, n: int) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"sample/{kind}/{n}"))


def _insert(conn: sqlite3.Connection, table: str, row: dict) -> None:
    cols = ",".join(row)
    conn.execute(f"insert into {table} ({cols}) values ({','.join('?' * len(row))})", list(row.values()))


def build(path: str | Path) -> Path:
    path = Path(path)
    path.unlink(missing_ok=True)
    conn = store.connect(path)
    store.create_schema(conn)
    start = ts(START)
    meta = {"profile": "sample", "seed": "0", "start": "2026-01-05", "now": NOW, "horizon_end": HORIZON,
            "company_tz": "Europe/Moscow"}
    conn.executemany("insert or replace into meta values (?, ?)", list(meta.items()))
    conn.execute("insert into regions values (1, 'msk', 'Москва', 'Europe/Moscow')")
    conn.execute("insert into teams values (1, 'Москва-Север', 1), (2, 'Москва-Юг', 1)")
    _helpdesk_people(conn, start)
    _issues(conn)
    _shifts(conn)
    _onec(conn, start)
    _registry(conn, start)
    store.create_indexes(conn)
    conn.commit()
    conn.close()
    return path


def _helpdesk_people(conn: sqlite3.Connection, start: str) -> None:
    people = [("Иванов", "Иван", "Петрович"), ("Петрова", "Мария", None), ("Сидоров", "Олег", "Ильич"),
              ("Кузнецова", "Анна", "Сергеевна"), ("Смирнов", "Павел", None)]
    for i, (last, first, patronymic) in enumerate(people, start=1):
        base = {"id": i, "valid_from": start, "valid_to": None, "last_name": last, "first_name": first,
                "patronymic": patronymic, "position": "Инженер", "active": 1,
                "email": f"user{i}@example.ru", "login": f"user{i}",
                "group_ids": json.dumps([1 if i % 2 else 2]), "personnel_no": f"{1000 + i}"}
        if i == 2:  # promoted on 2026-02-01: two versions
            change = "2026-02-01T06:00:00.000Z"
            _insert(conn, "hd_employees", {**base, "valid_to": change})
            _insert(conn, "hd_employees", {**base, "valid_from": change, "position": "Ведущий инженер"})
        else:
            _insert(conn, "hd_employees", base)
    for i in range(1, 4):
        _insert(conn, "hd_companies", {"id": i, "valid_from": start, "valid_to": None,
                                       "name": f"ООО Клиент {i}", "crm_1c_id": _uuid("client", i),
                                       "active": 1, "inn": f"77000000{i:02d}"})
    for i in range(1, 5):
        _insert(conn, "hd_sites", {"id": i, "valid_from": start, "valid_to": None, "name": f"Объект {i}",
                                   "company_id": (i - 1) % 3 + 1, "address": f"Москва, ул. Ленина, {i}",
                                   "lat": f"55.{700 + i}", "lon": f"37.{600 + i}", "timezone": "Europe/Moscow",
                                   "site_code": f"MSK-{i:03d}", "updated_at": start})
    for i in range(1, 7):
        _insert(conn, "hd_equipment", {"id": i, "valid_from": start, "valid_to": None,
                                       "serial_number": f"SN-{i:05d}", "inventory_number": f"INV-{i}",
                                       "maintenance_entity_id": (i - 1) % 4 + 1, "company_id": (i - 1) % 3 + 1,
                                       "kind_code": "ups", "kind_name": "ИБП", "model_code": "x100",
                                       "model_name": "X100", "manufacturer_code": "acme",
                                       "manufacturer_name": "Acme"})


def _issues(conn: sqlite3.Connection) -> None:
    """Issue i is created at START + i*9h (the last ones after NOW); each goes
    opened -> in_progress (+1h) -> completed (+4h) -> closed (+2d), when those moments come."""
    now = datetime.fromisoformat(NOW)
    created0 = START
    step = (now - START) / ISSUES_BEFORE_NOW
    history_id = 0
    total = ISSUES_BEFORE_NOW + ISSUES_AFTER_NOW
    for i in range(1, total + 1):
        if i <= ISSUES_BEFORE_NOW:
            created = created0 + step * (i - 1) + timedelta(minutes=7)
        else:
            created = now + timedelta(hours=12 * (i - ISSUES_BEFORE_NOW))
        moments = [("opened", created), ("in_progress", created + timedelta(hours=1)),
                   ("completed", created + timedelta(hours=4, milliseconds=250)),
                   ("closed", created + timedelta(days=2))]
        base = {"id": i, "title": f"Заявка {i}", "created_at": ts(created),
                "deadline_at": ts(created + timedelta(hours=8)),
                "planned_reaction_at": ts(created + timedelta(hours=2)), "source": "phone",
                "company_id": (i - 1) % 3 + 1, "service_object_id": (i - 1) % 4 + 1,
                "equipment_ids": json.dumps([(i - 1) % 6 + 1]), "parent_id": None,
                "assignee_id": (i - 1) % 5 + 1, "group_id": 1 if i % 2 else 2,
                "type_code": "maintenance" if i % 3 else "emergency_repair",
                "priority_code": "normal", "rate": None,
                "complexity": None if i % 10 == 0 else str(i % 5 + 1), "escalated": int(i % 7 == 0),
                "vip_contact": 0, "delayed_to": None}
        for k, (status, at) in enumerate(moments):
            valid_to = ts(moments[k + 1][1]) if k + 1 < len(moments) else None
            _insert(conn, "hd_issues", {
                **base, "valid_from": ts(at), "valid_to": valid_to, "updated_at": ts(at),
                "status_code": status,
                "reacted_at": ts(moments[1][1]) if k >= 1 else None,
                "completed_at": ts(moments[2][1]) if k >= 2 else None,
                "rate": "good" if k == 3 and i % 4 == 0 else None})
            history_id += 1
            _insert(conn, "hd_status_history", {
                "id": history_id, "valid_from": ts(at), "valid_to": None, "issue_id": i,
                "status_code": status, "changed_at": ts(at), "author_id": base["assignee_id"],
                "updated_at": ts(at)})
        logged = moments[2][1]
        _insert(conn, "hd_time_entries", {
            "id": i, "valid_from": ts(logged), "valid_to": None, "issue_id": i,
            "spent_time": "1.50" if i % 2 else "2.25", "logged_at": ts(logged), "updated_at": ts(logged),
            "employee_id": base["assignee_id"], "comment": "выезд", "activity": "onsite"})


def _shifts(conn: sqlite3.Connection) -> None:
    for i in range(SHIFTS):
        day = START.replace(hour=6) + timedelta(days=i * 2)
        end = day + timedelta(hours=12)
        person = f"{1001 + i % 5}"
        shift_id = _uuid("shift", i)
        created = ts(day - timedelta(days=7))
        base = {"id": shift_id, "personnel_no": person, "email": f"user{1 + i % 5}@example.ru",
                "shift_type": "duty_night" if i % 4 == 0 else "day", "planned_start": ts(day),
                "planned_end": ts(end), "actual_start": None, "actual_end": None, "status": "planned",
                "deleted": 0}
        if i % 10 == 9:  # cancelled and deleted a day after being planned: a tombstone
            gone = ts(day - timedelta(days=6))
            _insert(conn, "sch_shifts", {**base, "valid_from": created, "valid_to": gone, "updated_at": created})
            _insert(conn, "sch_shifts", {**base, "valid_from": gone, "valid_to": None, "updated_at": gone,
                                         "status": "cancelled", "deleted": 1})
            continue
        worked = ts(end + timedelta(hours=1))
        _insert(conn, "sch_shifts", {**base, "valid_from": created, "valid_to": worked, "updated_at": created})
        _insert(conn, "sch_shifts", {**base, "valid_from": worked, "valid_to": None, "updated_at": worked,
                                     "status": "worked", "actual_start": ts(day),
                                     "actual_end": ts(end + timedelta(minutes=30))})


def _onec(conn: sqlite3.Connection, start: str) -> None:
    def cat(kind: str, i: int, **extra: object) -> dict:
        return {"ref_key": _uuid(kind, i), "valid_from": start, "valid_to": None, "data_version": "AAAAAQ==",
                "deletion_mark": 0, "code": f"{i:09d}", **extra}

    for i in range(1, 6):
        _insert(conn, "onec_employees", cat("employee", i, description=f"Сотрудник {i}",
                                            personnel_no=f"{1000 + i}", email=f"USER{i}@example.ru",
                                            department="Сервис" if i != 5 else None))
    for i in range(1, 4):
        _insert(conn, "onec_clients", cat("client", i, description=f"ООО Клиент {i}", inn=f"77000000{i:02d}"))
    for i in range(1, 4):
        _insert(conn, "onec_contracts", cat(
            "contract", i, description=f"Договор {i}", owner_key=_uuid("client", i), start_date="2025-01-01",
            end_date=None if i == 1 else "2026-12-31", monthly_fee="150000.00", included_hours="40",
            overage_rate="3500.50", sla_level="gold" if i == 1 else None))
    registers = [
        ("onec_bonus_coefficients", [("code", "k_sla", "value", "1.2"), ("code", "k_csat", "value", "0.8")]),
        ("onec_points", [("work_type", "maintenance", "points", "3"), ("work_type", "emergency_repair", "points", "5")]),
        ("onec_duty_tariffs", [("shift_type", "duty_night", "rate", "2500.00")]),
    ]
    for table, rows in registers:
        for dim_col, dim, val_col, val in rows:
            for period, factor in (("2025-01-01T00:00:00", 1), ("2026-01-01T00:00:00", 2)):
                _insert(conn, table, {"valid_from": start, "valid_to": None, "period": period, dim_col: dim,
                                      val_col: str(float(val) * factor)})
    for work_type in ("maintenance", "emergency_repair"):
        _insert(conn, "onec_service_tariffs", {"valid_from": start, "valid_to": None,
                                               "period": "2026-01-01T00:00:00", "work_type": work_type,
                                               "client_rate": "4000.00", "engineer_cost": "1800.00"})
    for i in range(1, 13):
        base = {"ref_key": _uuid("sale", i), "valid_from": start, "valid_to": None, "data_version": "AAAAAQ==",
                "deletion_mark": 0, "number": f"0000-{i:06d}", "date": f"2026-{(i - 1) % 2 + 1:02d}-{i:02d}T12:00:00",
                "posted": 1, "client_key": _uuid("client", (i - 1) % 3 + 1),
                "contract_key": None if i == 12 else _uuid("contract", (i - 1) % 3 + 1), "amount": "150000.00"}
        if i == 3:  # marked for deletion after NOW: a new version appears when the clock moves on
            later = "2026-03-05T09:00:00.000Z"
            _insert(conn, "onec_sales", {**base, "valid_to": later})
            _insert(conn, "onec_sales", {**base, "valid_from": later, "data_version": "AAAAAg==",
                                         "deletion_mark": 1, "posted": 0})
        else:
            _insert(conn, "onec_sales", base)


def _registry(conn: sqlite3.Connection, start: str) -> None:
    for i in range(1, 5):
        _insert(conn, "reg_sites", {"site_code": f"MSK-{i:03d}", "valid_from": start, "valid_to": None,
                                    "client_inn": f"77000000{(i - 1) % 3 + 1:02d}", "name": f"Объект {i}",
                                    "address": f"Москва, ул. Ленина, {i}", "region": "Москва",
                                    "lat": f"55.{700 + i}", "lon": f"37.{600 + i}", "area_m2": "120.5",
                                    "engineer_personnel_no": f"{1000 + i}"})
    for i in range(1, 7):
        _insert(conn, "reg_equipment", {"serial_number": f"SN-{i:05d}", "valid_from": start, "valid_to": None,
                                        "site_code": f"MSK-{(i - 1) % 4 + 1:03d}", "kind": "ИБП",
                                        "manufacturer": "Acme", "model": "X100", "commissioned_on": "2024-05-01",
                                        "engineer_personnel_no": None})


if __name__ == "__main__":
    print(build(sys.argv[1] if len(sys.argv) > 1 else ".local/sim/sample/world.sqlite"))
