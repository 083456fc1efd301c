"""An independent, plain-Python recomputation of the bonus rules of docs/rules.md.

It shares no code with the dbt marts: it is the second opinion the tests compare the
warehouse against, to the kopeck. Inputs are simple dataclasses (`inputs.py`); the entry
point is `compute_bonus(...)` in `rules.py`.
"""

from bonus_reference.calc_hash import calc_hash
from bonus_reference.inputs import (
    Coefficient,
    DutyTariff,
    EventIds,
    PointsPrice,
    ServiceTariff,
    Shift,
    StatusChange,
    Ticket,
    TimeEntry,
    World,
)
from bonus_reference.lines import BonusLine, BonusSummary
from bonus_reference.rules import compute_bonus, summarise

__all__ = [
    "BonusLine",
    "BonusSummary",
    "Coefficient",
    "DutyTariff",
    "EventIds",
    "PointsPrice",
    "ServiceTariff",
    "Shift",
    "StatusChange",
    "Ticket",
    "TimeEntry",
    "World",
    "calc_hash",
    "compute_bonus",
    "summarise",
]
