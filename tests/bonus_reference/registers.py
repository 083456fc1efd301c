"""Effective-dated lookups: the row with the greatest `valid_from <= moment`."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

from bonus_reference.inputs import Coefficient, DutyTariff, PointsPrice, ServiceTariff


class MissingCoefficient(LookupError):
    """A coefficient the rules need has no value in force at the moment asked."""


T = TypeVar("T", Coefficient, PointsPrice, DutyTariff, ServiceTariff)


def _latest(rows: list[T], moment: datetime) -> T | None:
    best: Any = None
    for row in rows:
        if row.valid_from <= moment and (best is None or row.valid_from > best.valid_from):
            best = row
    return best


class Registers:
    def __init__(
        self,
        coefficients: list[Coefficient],
        points: list[PointsPrice],
        duty_tariffs: list[DutyTariff],
        service_tariffs: list[ServiceTariff],
    ) -> None:
        self._coef: dict[str, list[Coefficient]] = {}
        for c in coefficients:
            self._coef.setdefault(c.code, []).append(c)
        self._points: dict[str, list[PointsPrice]] = {}
        for p in points:
            self._points.setdefault(p.work_type, []).append(p)
        self._duty: dict[str, list[DutyTariff]] = {}
        for d in duty_tariffs:
            self._duty.setdefault(d.shift_type, []).append(d)
        self._service: dict[str, list[ServiceTariff]] = {}
        for s in service_tariffs:
            self._service.setdefault(s.work_type, []).append(s)

    def coef(self, code: str, moment: datetime) -> Decimal:
        row = _latest(self._coef.get(code, []), moment)
        if row is None:
            raise MissingCoefficient(f"1C coefficient {code!r} has no value in force at {moment.isoformat()}")
        return row.value

    def points(self, work_type: str | None, moment: datetime) -> Decimal | None:
        row = _latest(self._points.get(work_type or "", []), moment)
        return None if row is None else row.points

    def duty_rate(self, shift_type: str, moment: datetime) -> Decimal | None:
        row = _latest(self._duty.get(shift_type, []), moment)
        return None if row is None else row.rate

    def client_rate(self, work_type: str | None, moment: datetime) -> Decimal | None:
        row = _latest(self._service.get(work_type or "", []), moment)
        return None if row is None else row.client_rate
