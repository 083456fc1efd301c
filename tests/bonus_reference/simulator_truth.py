"""Read the source simulator's ground truth (`python -m source_simulator truth --out DIR`)
into the reference's inputs.

The truth is one CSV per store table with the versions valid at the clock (empty cell =
NULL; timestamps UTC `...Z`; 1C periods naive company-local). It knows what the help desk
does not: each help-desk employee's personnel number (`hd_employees.personnel_no`).
This module only reads files; it does not import the simulator.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from bonus_reference.inputs import (
    Coefficient,
    DutyTariff,
    PointsPrice,
    ServiceTariff,
    Shift,
    StatusChange,
    Ticket,
    TimeEntry,
    World,
)


class TruthError(ValueError):
    """A truth file is missing or a cell cannot be read."""


def _rows(truth_dir: Path, table: str) -> list[dict[str, str]]:
    path = truth_dir / f"{table}.csv"
    if not path.exists():
        raise TruthError(f"{path}: missing (expected the output of `python -m source_simulator truth`)")
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _ts(value: str, where: str) -> datetime:
    try:
        out = datetime.fromisoformat(value)
    except ValueError as exc:
        raise TruthError(f"{where}: {value!r} is not an ISO timestamp") from exc
    if out.tzinfo is None:
        raise TruthError(f"{where}: {value!r} has no offset")
    return out


def _opt_ts(value: str, where: str) -> datetime | None:
    return _ts(value, where) if value else None


def _local(value: str, tz: ZoneInfo, where: str) -> datetime:
    try:
        return datetime.fromisoformat(value).replace(tzinfo=tz)
    except ValueError as exc:
        raise TruthError(f"{where}: {value!r} is not a 1C date") from exc


def _dec(value: str, where: str) -> Decimal:
    try:
        return Decimal(value.replace(",", "."))
    except ArithmeticError as exc:
        raise TruthError(f"{where}: {value!r} is not a number") from exc


def world_from_truth(truth_dir: str | Path, company_tz: str = "Europe/Moscow") -> World:
    d = Path(truth_dir)
    tz = ZoneInfo(company_tz)

    personnel = {r["id"]: (r["personnel_no"] or None) for r in _rows(d, "hd_employees")}
    sites = {r["id"]: r["site_code"].strip() or None for r in _rows(d, "hd_sites")}
    serials = {r["id"]: r["serial_number"].strip() for r in _rows(d, "hd_equipment")}

    history: dict[str, list[StatusChange]] = defaultdict(list)
    for i, r in enumerate(_rows(d, "hd_status_history"), start=2):
        where = f"hd_status_history.csv row {i}"
        history[r["issue_id"]].append(StatusChange(int(r["id"]), _ts(r["changed_at"], where), r["status_code"]))

    tickets: list[Ticket] = []
    work_types: dict[str, str | None] = {}
    for i, r in enumerate(_rows(d, "hd_issues"), start=2):
        where = f"hd_issues.csv row {i}"
        equipment = frozenset(serials[str(e)] for e in json.loads(r["equipment_ids"] or "[]") if str(e) in serials)
        complexity = int(r["complexity"]) if r["complexity"].strip().isdigit() else None
        work_types[r["id"]] = r["type_code"] or None
        tickets.append(Ticket(
            ticket_id=int(r["id"]),
            created_at=_ts(r["created_at"], where),
            personnel_no=personnel.get(r["assignee_id"]) if r["assignee_id"] else None,
            work_type=r["type_code"] or None,
            history=tuple(history.get(r["id"], ())),
            deadline_at=_opt_ts(r["deadline_at"], where),
            complexity=complexity,
            is_escalated=r["escalated"] == "1",
            site_code=sites.get(r["service_object_id"]) if r["service_object_id"] else None,
            equipment=equipment,
        ))

    entries = [
        TimeEntry(
            time_entry_id=int(r["id"]),
            ticket_id=int(r["issue_id"]),
            personnel_no=personnel.get(r["employee_id"]),
            logged_at=_ts(r["logged_at"], f"hd_time_entries.csv row {i}"),
            hours=_dec(r["spent_time"], f"hd_time_entries.csv row {i}"),
            activity=r["activity"],
            work_type=work_types.get(r["issue_id"]),
        )
        for i, r in enumerate(_rows(d, "hd_time_entries"), start=2)
    ]

    shifts = [
        Shift(
            shift_id=r["id"],
            personnel_no=r["personnel_no"] or None,
            shift_type=r["shift_type"],
            status=r["status"],
            planned_start=_ts(r["planned_start"], f"sch_shifts.csv row {i}"),
            actual_start=_opt_ts(r["actual_start"], f"sch_shifts.csv row {i}"),
            deleted=r["deleted"] == "1",
        )
        for i, r in enumerate(_rows(d, "sch_shifts"), start=2)
    ]

    def where(table: str, i: int) -> str:
        return f"{table}.csv row {i}"

    coefficients = [
        Coefficient(r["code"].strip(), _local(r["period"], tz, where("onec_bonus_coefficients", i)),
                    _dec(r["value"], where("onec_bonus_coefficients", i)))
        for i, r in enumerate(_rows(d, "onec_bonus_coefficients"), start=2)
    ]
    points = [
        PointsPrice(r["work_type"].strip(), _local(r["period"], tz, where("onec_points", i)),
                    _dec(r["points"], where("onec_points", i)))
        for i, r in enumerate(_rows(d, "onec_points"), start=2)
    ]
    duty = [
        DutyTariff(r["shift_type"].strip(), _local(r["period"], tz, where("onec_duty_tariffs", i)),
                   _dec(r["rate"], where("onec_duty_tariffs", i)))
        for i, r in enumerate(_rows(d, "onec_duty_tariffs"), start=2)
    ]
    service = [
        ServiceTariff(r["work_type"].strip(), _local(r["period"], tz, where("onec_service_tariffs", i)),
                      _dec(r["client_rate"], where("onec_service_tariffs", i)),
                      _dec(r["engineer_cost"], where("onec_service_tariffs", i)))
        for i, r in enumerate(_rows(d, "onec_service_tariffs"), start=2)
    ]
    return World(
        tickets=tickets, coefficients=coefficients, points=points, time_entries=entries,
        shifts=shifts, duty_tariffs=duty, service_tariffs=service, company_tz=company_tz,
    )
