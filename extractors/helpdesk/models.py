"""Pydantic models of the help-desk payloads (what must be there for a record to be usable)."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict


class _Model(BaseModel):
    """What a record must satisfy to be loaded; other fields are kept in the payload unchecked
    (extra="ignore": validating only what matters keeps the loader near COPY speed)."""

    model_config = ConfigDict(extra="ignore")


class Coded(_Model):
    code: str
    name: str | None = None


StatusCode = Literal["opened", "in_progress", "delayed", "completed", "closed"]
PriorityCode = Literal["low", "normal", "high", "critical"]
WorkType = Literal["emergency_repair", "diagnostics", "maintenance", "installation", "remote_support",
                   "consultation", "paid_visit"]


class Status(_Model):
    code: StatusCode
    name: str | None = None


class Priority(_Model):
    code: PriorityCode
    name: str | None = None


class IssueType(_Model):
    code: WorkType
    name: str | None = None


class Ref(_Model):
    id: int


class Parameter(_Model):
    code: str
    value: object | None = None


class Issue(_Model):
    id: int
    title: str | None = None
    created_at: AwareDatetime
    updated_at: AwareDatetime
    completed_at: AwareDatetime | None = None
    deadline_at: AwareDatetime | None = None
    planned_reaction_at: AwareDatetime | None = None
    reacted_at: AwareDatetime | None = None
    delayed_to: AwareDatetime | None = None
    company_id: int | None = None
    service_object_id: int | None = None
    equipment_ids: list[int] | None = None
    parent_id: int | None = None
    assignee: Ref | None = None
    group_id: int | None = None
    type: IssueType | None = None
    priority: Priority | None = None
    status: Status


class StatusChange(_Model):
    id: int
    issue_id: int
    status: Status
    changed_at: AwareDatetime
    updated_at: AwareDatetime


class TimeEntry(_Model):
    id: int
    issue_id: int
    spent_time: Decimal
    logged_at: AwareDatetime
    updated_at: AwareDatetime | None = None
    employee: Ref
    parameters: list[Parameter] | None = None


class Employee(_Model):
    id: int
    login: str | None = None
    email: str | None = None
    active: bool | None = None


class Company(_Model):
    id: int
    name: str | None = None
    active: bool | None = None


class MaintenanceEntity(_Model):
    id: int
    company_id: int | None = None
    coordinates: tuple[float, float] | None = None
    updated_at: AwareDatetime | None = None


class Equipment(_Model):
    id: int
    serial_number: str | None = None
    maintenance_entity_id: int | None = None
