"""Capacity plan: forecast work hours against the hours of scheduled shifts.

For every hours series (company, region, team) and forecast week:
- scheduled_hours: planned hours (`planned_hours`, else planned_end - planned_start) of the
  scope's shifts that start in the week (company zone), not deleted and with status
  `planned` or `worked` (cancelled and absent shifts give no capacity);
- the schedule is published only a few weeks ahead: a week counts as published when the
  last scheduled shift (company-wide) starts on or after its Friday. For a week beyond that,
  the gap is measured against the usual roster instead (`capacity_basis = 'usual_roster'`):
  `roster_hours`, the mean weekly scheduled hours of the scope over the 4 weeks before the
  first forecast week;
- capacity_gap_hours = forecast_hours - scheduled_hours (or roster_hours, see above;
  positive: not enough shifts);
- extra_shifts_needed = ceil(gap / typical shift length), 0 when there is no gap; the
  typical length is the median planned length of the scope's regular (non-duty) shifts,
  all shifts if it has no regular ones, the company's if the scope has none.
Hours are rounded to 0.01 before the arithmetic, which is done in Decimal.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

import psycopg

CENT = Decimal("0.01")


def hours(value: float | Decimal | None) -> Decimal | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class CapacityRow:
    week_start: date
    forecast_hours: Decimal
    scheduled_hours: Decimal
    scheduled_shifts: int
    typical_shift_hours: Decimal | None
    capacity_gap_hours: Decimal
    extra_shifts_needed: int | None


def capacity_row(
    week_start: date,
    forecast_hours: float | Decimal,
    scheduled_hours: float | Decimal,
    scheduled_shifts: int,
    typical_shift_hours: float | Decimal | None,
) -> CapacityRow:
    forecast = hours(forecast_hours) or Decimal("0.00")
    scheduled = hours(scheduled_hours) or Decimal("0.00")
    typical = hours(typical_shift_hours)
    gap = forecast - scheduled
    if gap <= 0:
        extra: int | None = 0
    elif typical is None or typical <= 0:
        extra = None  # no shift to count in
    else:
        extra = int((gap / typical).to_integral_value(rounding=ROUND_CEILING))
    return CapacityRow(week_start, forecast, scheduled, scheduled_shifts, typical, gap, extra)


_SHIFTS = """
with shifts as (
    select s.*,
           coalesce(s.planned_hours,
                    extract(epoch from s.planned_end - s.planned_start)::numeric / 3600) as plan_h,
           e.region_code, e.team_id::text as team_id
    from marts.fct_shifts s
    left join marts.dim_engineers e on e.personnel_no = s.personnel_no
    where not coalesce(s.is_deleted, false) and s.planned_start is not null
)"""


def scheduled_hours(
    conn: psycopg.Connection, tz: str, first_week: date, last_week_excl: date
) -> dict[tuple[str, str | None], dict[date, tuple[Decimal, int]]]:
    """{(level, key): {week_start: (hours, shifts)}} for weeks in [first_week, last_week_excl)."""
    rows = conn.execute(
        _SHIFTS
        + """
, weekly as (
    select date_trunc('week', planned_start at time zone %(tz)s)::date as week_start,
           region_code, team_id, plan_h
    from shifts
    where status in ('planned', 'worked')
      and planned_start >= (%(start)s::timestamp at time zone %(tz)s)
      and planned_start < (%(end)s::timestamp at time zone %(tz)s)
)
select case when grouping(region_code) = 0 then 'region'
            when grouping(team_id) = 0 then 'team' else 'company' end,
       coalesce(region_code, team_id),
       week_start,
       coalesce(sum(plan_h), 0), count(*)
from weekly
group by grouping sets ((week_start), (week_start, region_code), (week_start, team_id))
""",
        {"tz": tz, "start": first_week, "end": last_week_excl},
    ).fetchall()
    out: dict[tuple[str, str | None], dict[date, tuple[Decimal, int]]] = {}
    for level, key, week, total, count in rows:
        if level != "company" and key is None:
            continue
        out.setdefault((level, None if level == "company" else key), {})[week] = (Decimal(total), int(count))
    return out


def typical_shift_hours(conn: psycopg.Connection) -> dict[tuple[str, str | None], Decimal]:
    """Median planned length per scope: regular shifts, else all shifts."""
    rows = conn.execute(
        _SHIFTS
        + """
select case when grouping(region_code) = 0 then 'region'
            when grouping(team_id) = 0 then 'team' else 'company' end,
       coalesce(region_code, team_id),
       percentile_cont(0.5) within group (order by plan_h) filter (where not coalesce(is_duty, false)),
       percentile_cont(0.5) within group (order by plan_h)
from shifts
where status <> 'cancelled' and plan_h > 0
group by grouping sets ((), (region_code), (team_id))
"""
    ).fetchall()
    out: dict[tuple[str, str | None], Decimal] = {}
    for level, key, regular, any_shift in rows:
        if level != "company" and key is None:
            continue
        value = regular if regular is not None else any_shift
        if value is not None:
            out[(level, None if level == "company" else key)] = hours(float(value))  # type: ignore[assignment]
    return out


def schedule_horizon(conn: psycopg.Connection, tz: str) -> date | None:
    """The local date of the last scheduled (planned or worked) shift, company-wide."""
    row = conn.execute(
        _SHIFTS + " select max((planned_start at time zone %(tz)s)::date) from shifts "
        "where status in ('planned', 'worked')",
        {"tz": tz},
    ).fetchone()
    return row[0] if row else None


def is_published(week_start: date, horizon: date | None) -> bool:
    return horizon is not None and week_start + timedelta(days=4) <= horizon
