"""Pydantic model of a shift as the schedule service sends it."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict


class Shift(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: UUID
    personnel_no: str
    email: str | None = None
    shift_type: Literal["day", "night", "duty_day", "duty_night", "duty_weekend"]
    planned_start: datetime
    planned_end: datetime
    actual_start: datetime | None = None
    actual_end: datetime | None = None
    status: Literal["planned", "worked", "absent", "cancelled"]
    updated_at: datetime
    deleted: bool
