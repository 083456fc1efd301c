"""The shift and duty schedule: published two weeks ahead, then worked, missed or cancelled."""

from __future__ import annotations

import random
from datetime import date, timedelta

import holidays

from source_simulator.generator.clock import COMPANY_TZ, MS_DAY, MS_HOUR, MS_MINUTE, iso, local_ms
from source_simulator.generator.org import Engineer, Org, Team
from source_simulator.generator.rng import stable_uuid, stream
from source_simulator.generator.sink import Sink

# shift type -> (local start hour, length hours)
SHIFT_HOURS = {
    "day": (9.0, 9.0), "night": (21.0, 12.0), "duty_day": (9.0, 12.0),
    "duty_night": (18.0, 15.0), "duty_weekend": (9.0, 12.0),
}


def write_schedule(sink: Sink, seed: int, org: Org, start: date, horizon_ms: int) -> int:
    """All shifts whose publication falls before the horizon; returns how many."""
    years = range(start.year - 1, date.fromtimestamp(horizon_ms / 1000).year + 2)
    ru_holidays = holidays.RU(years=years)
    monday = start - timedelta(days=start.weekday())
    count = 0
    while True:
        published = local_ms(monday - timedelta(days=14), COMPANY_TZ, 10)
        if published > horizon_ms:
            break
        for team in org.teams:
            members = [e for e in org.team_members(team) if e.personnel_no is not None]
            count += _team_week(sink, seed, team, members, monday, start, published, horizon_ms, ru_holidays)
        monday += timedelta(days=7)
    return count


def _team_week(sink: Sink, seed: int, team: Team, members: list[Engineer], monday: date, start: date,
               published: int, horizon_ms: int, ru_holidays) -> int:
    rng = stream(seed, "shifts", team.id, monday.isoformat())
    tz = team.region.tz
    week_no = monday.toordinal() // 7
    planned: list[tuple[Engineer, str, date]] = []
    for offset in range(7):
        day = monday + timedelta(days=offset)
        if day < start:
            continue
        present = [e for e in members if e.hired_ms <= local_ms(day, tz, 9)
                   and (e.left_ms is None or e.left_ms > published)]
        if not present:
            continue
        night_worker = present[week_no % len(present)] if len(present) >= 2 else None
        holiday = day in ru_holidays
        weekend = day.weekday() >= 5
        if not holiday and not weekend:
            for e in present:
                planned.append((e, "night" if e is night_worker and offset < 4 else "day", day))
            planned.append((present[(week_no + offset + 1) % len(present)], "duty_night", day))
        elif holiday and not weekend:
            planned.append((present[(week_no + offset) % len(present)], "duty_day", day))
        else:
            planned.append((present[(week_no + offset) % len(present)], "duty_weekend", day))
    for eng, shift_type, day in planned:
        _shift(sink, seed, rng, eng, shift_type, day, tz, published, horizon_ms)
    return len(planned)


def _shift(sink: Sink, seed: int, rng: random.Random, eng: Engineer, shift_type: str, day: date, tz: str,
           published: int, horizon_ms: int) -> None:
    start_h, length_h = SHIFT_HOURS[shift_type]
    p_start = local_ms(day, tz, start_h)
    p_end = p_start + int(length_h * MS_HOUR)
    sid = stable_uuid(seed, "shift", eng.personnel_no, shift_type, p_start)
    base = {"id": sid, "personnel_no": eng.personnel_no, "email": eng.email, "shift_type": shift_type,
            "planned_start": iso(p_start), "planned_end": iso(p_end)}

    def version(at: int, status: str, actual: tuple[int, int] | None = None, deleted: int = 0):
        return (at, {**base, "actual_start": iso(actual[0]) if actual else None,
                     "actual_end": iso(actual[1]) if actual else None, "status": status,
                     "updated_at": iso(at), "deleted": deleted})

    versions = [version(published, "planned")]
    roll = rng.random()
    if eng.left_ms is not None and p_start >= eng.left_ms:
        versions.append(version(eng.left_ms + MS_HOUR, "planned", deleted=1))   # leaver: tombstone
    elif roll < 0.01:
        versions.append(version(published + int((p_start - published) * rng.uniform(0.1, 0.9)), "planned",
                                deleted=1))
    elif roll < 0.035:
        versions.append(version(published + int((p_start - published) * rng.uniform(0.2, 0.95)), "cancelled"))
    elif roll < 0.065:
        versions.append(version(p_end + rng.randint(1, 6) * MS_HOUR, "absent"))
    else:
        a_start = p_start + int(rng.gauss(0, 8)) * MS_MINUTE + rng.randint(0, 59) * 1000
        a_end = p_end + int(rng.gauss(5, 15)) * MS_MINUTE + rng.randint(0, 59) * 1000
        versions.append(version(max(a_end, published + MS_DAY) + rng.randint(10, 240) * MS_MINUTE, "worked",
                                (a_start, a_end)))
    sink.add_versions("sch_shifts", versions, horizon_ms)
