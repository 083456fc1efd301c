"""Help-desk tickets, their status history and time entries, generated one day at a time.

Each day draws from its own random stream, so a day's tickets do not depend on the others
(only the running ids do, and those follow day order). A ticket's whole lifecycle is decided
when it is created and written as versions; whatever falls beyond the horizon is cut off.
"""

from __future__ import annotations

import json
import math
import random
from bisect import bisect
from dataclasses import dataclass
from datetime import date
from itertools import accumulate

import holidays

from source_simulator.generator import catalog
from source_simulator.generator.clock import MS_DAY, MS_HOUR, MS_MINUTE, iso, local_ms
from source_simulator.generator.org import Engineer, Org, Site, Unit
from source_simulator.generator.rng import poisson, stream
from source_simulator.generator.sink import Sink
from source_simulator.profiles import Profile

WEEKDAY_FACTOR = (1.10, 1.0, 1.0, 1.0, 0.95, 0.35, 0.25)
HOLIDAY_FACTOR = 0.3
REPEAT_SHARE = 0.04
ISSUE_COLS = (
    "valid_from", "valid_to", "id", "title", "created_at", "deadline_at", "planned_reaction_at", "source",
    "company_id", "service_object_id", "equipment_ids", "parent_id", "assignee_id", "group_id", "type_code",
    "priority_code", "complexity", "escalated", "vip_contact",
    "updated_at", "completed_at", "reacted_at", "delayed_to", "status_code", "rate",
)
HISTORY_COLS = ("id", "valid_from", "valid_to", "issue_id", "status_code", "changed_at", "author_id", "updated_at")
ENTRY_COLS = ("id", "valid_from", "valid_to", "issue_id", "spent_time", "logged_at", "updated_at", "employee_id",
              "comment", "activity")
REPEAT_GUARD_MS = 33 * MS_DAY
_WT_CODES = tuple(catalog.WORK_TYPE_WEIGHTS)
_WT_CUM = tuple(accumulate(catalog.WORK_TYPE_WEIGHTS.values()))
_CH_CODES = tuple(catalog.CHANNELS)
_CH_CUM = tuple(accumulate(catalog.CHANNELS.values()))
_EMERGENCY_PRIO, _EMERGENCY_PRIO_CUM = ("critical", "high", "normal"), tuple(accumulate((35, 45, 20)))
_PRIO, _PRIO_CUM = ("low", "normal", "high", "critical"), tuple(accumulate((25, 55, 15, 5)))
MAIN_ACTIVITY = {
    "emergency_repair": "emergency_repair", "diagnostics": "diagnostics", "maintenance": "maintenance",
    "installation": "onsite", "remote_support": "remote", "consultation": "remote",
    "paid_visit": "hourly_work",
}
COMPLEXITY_WEIGHTS = {
    "emergency_repair": (1, 3, 4, 3, 2), "diagnostics": (2, 4, 3, 1, 1), "maintenance": (3, 5, 2, 1, 0.5),
    "installation": (1, 2, 4, 3, 2), "remote_support": (5, 4, 1, 0.5, 0.2),
    "consultation": (6, 3, 1, 0.2, 0.1), "paid_visit": (2, 4, 3, 1, 0.5),
}


_COMPLEXITY_CUM = {wt: tuple(accumulate(w)) for wt, w in COMPLEXITY_WEIGHTS.items()}


def expected_per_day(profile: Profile, day: date, start: date, ru_holidays) -> float:
    years = (day - start).days / 365.25
    trend = 1.0 + 0.10 * years
    yearly = 1.0 + 0.12 * math.cos(2 * math.pi * (day.timetuple().tm_yday - 15) / 365.25)
    factor = HOLIDAY_FACTOR if day in ru_holidays else WEEKDAY_FACTOR[day.weekday()]
    return profile.tickets_per_workday * trend * yearly * factor


def randint(rng: random.Random, a: int, b: int) -> int:
    """``rng.randint`` without its overhead (a different, equally uniform draw)."""
    return a + int(rng.random() * (b - a + 1))


def _pick(rng: random.Random, codes: tuple, cum: tuple[float, ...]):
    """Weighted choice with precomputed cumulative weights."""
    return codes[bisect(cum, rng.random() * cum[-1])]


def _hours(rng: random.Random, lo: float, hi: float) -> float:
    """Decimal hours in quarter steps."""
    return max(0.25, round(rng.uniform(lo, hi) * 4) / 4)


@dataclass
class Counters:
    issue: int = 0
    status: int = 0
    entry: int = 0


class TicketGenerator:
    def __init__(self, seed: int, profile: Profile, org: Org, start: date, horizon_ms: int, sink: Sink):
        self.seed, self.profile, self.org, self.start = seed, profile, org, start
        self.horizon_ms, self.sink = horizon_ms, sink
        self.ids = Counters()
        years = range(start.year - 1, date.fromtimestamp(horizon_ms / 1000).year + 2)
        self.ru_holidays = holidays.RU(years=years)
        self.sites = list(org.sites)
        self.site_cum = list(accumulate(s.weight for s in self.sites))
        sink.declare("hd_issues", ISSUE_COLS)
        sink.declare("hd_status_history", HISTORY_COLS)
        sink.declare("hd_time_entries", ENTRY_COLS)
        self.last_on_site: dict[int, int] = {}        # site id -> its latest ticket id
        self.unit_last: dict[int, int] = {}          # unit id -> creation of its last ticket
        self.noeq_last: dict[tuple[int, str], int] = {}  # (site, work type) -> last ticket without units
        self.skill = {e.hd_id: stream(seed, "skill", e.hd_id).lognormvariate(0, 0.35) for e in org.engineers}

    def _has_fresh_unit(self, site: Site, at: int) -> bool:
        return any(at - self.unit_last.get(u.hd_id, -REPEAT_GUARD_MS) >= REPEAT_GUARD_MS
                   for u in site.units if u.since_ms <= at)

    def _pick_units(self, rng: random.Random, site: Site, created: int, wt: str) -> list[Unit]:
        available = [u for u in site.units if u.since_ms <= created]
        recent = [u for u in available if created - self.unit_last.get(u.hd_id, -REPEAT_GUARD_MS) < REPEAT_GUARD_MS]
        if recent and rng.random() < REPEAT_SHARE:          # the same trouble again: a repeat
            units = [max(recent, key=lambda u: self.unit_last[u.hd_id])]
        else:
            fresh = [u for u in available if u not in recent] or available
            roll = rng.random()
            no_units_ok = created - self.noeq_last.get((site.hd_id, wt), -REPEAT_GUARD_MS) >= REPEAT_GUARD_MS
            if roll < 0.08 and no_units_ok or not fresh:
                self.noeq_last[(site.hd_id, wt)] = created
                return []
            units = rng.sample(fresh, 2 if roll > 0.96 and len(fresh) > 1 else 1)
        for u in units:
            self.unit_last[u.hd_id] = created
        return units

    def day(self, day: date) -> int:
        rng = stream(self.seed, "tickets", day.isoformat())
        lam = expected_per_day(self.profile, day, self.start, self.ru_holidays)
        n = poisson(rng, lam)
        noon = local_ms(day, "Europe/Moscow", 12)
        pools: dict[str, list[Engineer]] = {}
        for e in self.org.engineers:
            if e.active_at(noon):
                pools.setdefault(e.team.region.code, []).append(e)
        drafts = []
        sites = rng.choices(self.sites, cum_weights=self.site_cum, k=n) if self.sites else []
        for site in sites:
            # a site whose units were all served within the repeat window is swapped for another
            # (a few times), so that repeats stay the exception they are in real life
            for _ in range(4):
                if self._has_fresh_unit(site, noon):
                    break
                site = rng.choices(self.sites, cum_weights=self.site_cum)[0]
            orphan = rng.random() < 0.01
            drafts.append(self._draft(rng, day, None if orphan else site, pools, site))
        drafts.sort(key=lambda d: (d["created"], d["site_id"] or 0))
        for d in drafts:
            self._lifecycle(d)
        return len(drafts)

    # ------------------------------------------------------------------ one ticket's facts
    def _draft(self, rng: random.Random, day: date, site: Site | None, pools, region_site: Site) -> dict:
        region = region_site.region
        wt = _pick(rng, _WT_CODES, _WT_CUM)
        if wt == "emergency_repair" or rng.random() < 0.12:
            hour = rng.uniform(0, 24)
        else:
            hour = min(19.9, max(8.0, rng.gauss(12.5, 2.8)))
        created = local_ms(day, region.tz, hour) + randint(rng, 0, 999)
        units = self._pick_units(rng, site, created, wt) if site is not None else []
        pool = pools.get(region.code) or [e for p in pools.values() for e in p]
        assignee = None
        if site is not None:
            eng = site.engineer_at(created)
            if eng.active_at(created) and rng.random() < 0.75:
                assignee = eng
        if assignee is None:
            assignee = rng.choice(pool)
        if wt == "emergency_repair":
            prio = _pick(rng, _EMERGENCY_PRIO, _EMERGENCY_PRIO_CUM)
        else:
            prio = _pick(rng, _PRIO, _PRIO_CUM)
        react_h, deadline_h = catalog.SLA_HOURS[prio]
        planned_reaction, deadline = created + int(react_h * MS_HOUR), created + int(deadline_h * MS_HOUR)
        if (wt == "consultation" and rng.random() < 0.5) or rng.random() < 0.03:
            deadline = None
            if rng.random() < 0.5:
                planned_reaction = None
        elif rng.random() < 0.005:   # edge case: deadline at or before creation (imported late)
            deadline = created - rng.choice((0, 30 * MS_MINUTE, 2 * MS_HOUR))
        kind_name = units[0].kind.name.lower() if units else "оборудование"
        title = rng.choice(catalog.TITLES[wt]).format(kind=kind_name)
        comp = None
        if rng.random() > 0.02:
            comp = _pick(rng, ("1", "2", "3", "4", "5"), _COMPLEXITY_CUM[wt])
        return {
            "rng": random.Random(rng.getrandbits(64)), "created": created, "site": site,
            "site_id": site.hd_id if site else None, "units": units, "assignee": assignee,
            "work_type": wt, "priority": prio, "planned_reaction": planned_reaction,
            "deadline": deadline, "title": title[0].upper() + title[1:], "complexity": comp,
            "source": "monitoring" if wt == "emergency_repair" and rng.random() < 0.2
            else _pick(rng, _CH_CODES, _CH_CUM),
            "escalated": 1 if rng.random() < 0.05 else 0, "vip": 1 if rng.random() < 0.08 else 0,
            "pool": pool, "company_id": site.client.hd_id if site else self.org.orphan_client.hd_id,
        }

    def _lifecycle(self, d: dict) -> None:
        rng: random.Random = d["rng"]
        self.ids.issue += 1
        issue_id = self.ids.issue
        created, deadline, wt = d["created"], d["deadline"], d["work_type"]
        span = (deadline - created) if deadline and deadline > created else catalog.SLA_HOURS[d["priority"]][1] * MS_HOUR
        react_span = (d["planned_reaction"] - created) if d["planned_reaction"] else span / 6
        changes: list[tuple[int, str]] = [(created, "opened")]
        skill = self.skill[d["assignee"].hd_id]
        work_ms = max(15 * MS_MINUTE, int(span * skill * rng.lognormvariate(math.log(0.3), 0.75)))
        segments: list[tuple[int, int]] = []          # work intervals, for time entries
        if rng.random() < 0.015:                      # grey zone: completed without in_progress
            done = created + max(20 * MS_MINUTE, work_ms)
            segments.append((created + (done - created) // 3, done))
        else:
            taken = created + max(2 * MS_MINUTE,
                                  int(react_span * skill * rng.lognormvariate(math.log(0.45), 0.7)))
            changes.append((taken, "in_progress"))
            if rng.random() < 0.06:
                pause = taken + int(work_ms * 0.3)
                resume = pause + randint(rng, 1, 3) * MS_DAY
                changes += [(pause, "delayed"), (resume, "in_progress")]
                segments += [(taken, pause), (resume, resume + int(work_ms * 0.7))]
                done = resume + int(work_ms * 0.7)
            else:
                done = taken + work_ms
                segments.append((taken, done))
        changes.append((done, "completed"))
        first_done = done
        reopen_at = None
        if rng.random() < 0.04:
            reopen_at = done + randint(rng, 2 * 60, 12 * 24 * 60) * MS_MINUTE
        close_at = done + 3 * MS_DAY if rng.random() < 0.65 else None
        if reopen_at is not None:
            if close_at is not None and close_at < reopen_at:
                changes.append((close_at, "closed"))
            back = rng.choice(("opened", "in_progress"))
            changes.append((reopen_at, back))
            t = reopen_at
            if back == "opened":
                t += randint(rng, 10, 240) * MS_MINUTE
                changes.append((t, "in_progress"))
            redo = t + randint(rng, 30, 24 * 60) * MS_MINUTE
            segments.append((t, redo))
            changes.append((redo, "completed"))
            done = redo
            close_at = done + 3 * MS_DAY if close_at is not None else None
        if close_at is not None and (not changes or changes[-1][1] != "closed"):
            changes.append((close_at, "closed"))
        rating = None
        if rng.random() < 0.6:
            breached = deadline is not None and first_done > deadline
            w = (35, 35, 30) if breached else (5, 20, 75)
            rating = (first_done + randint(rng, 60, 48 * 60) * MS_MINUTE,
                      rng.choices(("bad", "normal", "good"), weights=w)[0])
            if close_at is not None and rating[0] >= close_at:
                rating = (close_at - MS_MINUTE, rating[1])
        # strictly increasing moments
        fixed: list[tuple[int, str]] = []
        for ms, st in sorted(changes, key=lambda c: c[0]):
            if fixed and ms <= fixed[-1][0]:
                ms = fixed[-1][0] + 1000
            fixed.append((ms, st))
        changes = [c for c in fixed if c[0] <= self.horizon_ms]
        if rating and (rating[0] > self.horizon_ms or any(rating[0] == c[0] for c in changes)):
            rating = None if rating[0] > self.horizon_ms else (rating[0] + 1, rating[1])

        assignee: Engineer = d["assignee"]
        site: Site | None = d["site"]
        parent_id = None
        if site is not None:
            if issue_id % 199 == 17:      # a few sub-tickets of the site's previous ticket
                parent_id = self.last_on_site.get(site.hd_id)
            self.last_on_site[site.hd_id] = issue_id
        base = (
            issue_id, d["title"], iso(created), iso(deadline), iso(d["planned_reaction"]), d["source"],
            d["company_id"], site.hd_id if site else None, json.dumps([u.hd_id for u in d["units"]]), parent_id,
            assignee.hd_id, assignee.team.id, wt, d["priority"], d["complexity"], d["escalated"], d["vip"],
        )
        events = [(ms, st, None) for ms, st in changes]
        if rating:
            events.append((rating[0], None, rating[1]))
        events.sort(key=lambda e: e[0])
        resume_at = {changes[i][0]: (changes[i + 1][0] if i + 1 < len(changes) else changes[i][0] + 2 * MS_DAY)
                     for i in range(len(changes)) if changes[i][1] == "delayed"}
        stamps = [iso(e[0]) for e in events]
        status, completed_at, reacted_at, delayed_to, rate = "opened", None, None, None, None
        add = self.sink.add_tuple
        last = len(events) - 1
        for n, (ms, st, rate_value) in enumerate(events):
            if st is not None:
                status = st
                if st == "in_progress" and reacted_at is None:
                    reacted_at = stamps[n]
                if st == "completed":
                    completed_at = stamps[n]
                elif st in ("opened", "in_progress", "delayed"):
                    completed_at = None
                delayed_to = iso(resume_at.get(ms)) if st == "delayed" else None
            if rate_value is not None:
                rate = rate_value
            add("hd_issues", (stamps[n], stamps[n + 1] if n < last else None, *base, stamps[n],
                              completed_at, reacted_at, delayed_to, status, rate))
        ids = self.ids
        for i, (ms, st) in enumerate(changes):
            ids.status += 1
            at = iso(ms)
            add("hd_status_history", (ids.status, at, None, issue_id, st, at,
                                      assignee.hd_id if i else None, at))
        closed_at = close_at if close_at is not None and close_at <= self.horizon_ms else None
        self._time_entries(rng, issue_id, wt, assignee, d["pool"], segments, closed_at)

    def _time_entries(self, rng: random.Random, issue_id: int, wt: str, assignee: Engineer,
                      pool: list[Engineer], segments: list[tuple[int, int]], closed_at: int | None) -> None:
        entries: list[tuple[int, float, Engineer, str, str | None]] = []
        main = MAIN_ACTIVITY[wt]
        if wt == "consultation" and rng.random() < 0.5:
            segments = []
        for n, (seg_start, seg_end) in enumerate(segments):
            onsite = main not in ("remote",)
            length_h = max(0.25, (seg_end - seg_start) / MS_HOUR)
            if onsite and n == 0:
                travel = _hours(rng, 0.5, 1.5)
                entries.append((seg_start + int(travel * MS_HOUR), travel, assignee, "travel", "Дорога до объекта"))
            hours = _hours(rng, min(0.5, length_h), min(6.0, max(0.75, length_h * 0.8)))
            entries.append((seg_end - randint(rng, 1, 20) * MS_MINUTE, hours, assignee, main, None))
            if onsite and rng.random() < 0.08:
                entries.append((seg_end - randint(rng, 1, 30) * MS_MINUTE, _hours(rng, 0.25, 1.0), assignee,
                                "idle", "Ожидание допуска на объект"))
            if onsite and rng.random() < 0.08:
                helpers = [e for e in pool if e is not assignee]
                if helpers:
                    entries.append((seg_end - randint(rng, 1, 30) * MS_MINUTE, hours, rng.choice(helpers),
                                    "onsite", "Помощь на объекте"))
        if closed_at is not None and rng.random() < 0.012:    # grey zone: logged on a closed ticket
            entries.append((closed_at + randint(rng, 2, 96) * MS_HOUR, _hours(rng, 0.25, 1.0), assignee,
                            "onsite", "Дописал время после закрытия"))
        add = self.sink.add_tuple
        for logged, hours, emp, activity, comment in sorted(entries, key=lambda x: x[0]):
            created = logged + randint(rng, 1, 20) * MS_MINUTE
            if created > self.horizon_ms:
                continue
            self.ids.entry += 1
            entry_id, logged_at, created_at = self.ids.entry, iso(logged), iso(created)
            edited = None
            if rng.random() < 0.02:      # corrected later
                edited = created + randint(rng, 1, 6) * MS_DAY + randint(rng, 0, 600) * MS_MINUTE
                new_hours = max(0.25, hours + rng.choice((-0.5, -0.25, 0.25, 0.5, 1.0)))
                if edited > self.horizon_ms:
                    edited = None
            edited_at = iso(edited)
            add("hd_time_entries", (entry_id, created_at, edited_at, issue_id, f"{hours:.2f}", logged_at,
                                    created_at, emp.hd_id, comment, activity))
            if edited is not None:
                add("hd_time_entries", (entry_id, edited_at, None, issue_id, f"{new_hours:.2f}", logged_at,
                                        edited_at, emp.hd_id, "Исправлено: уточнено время", activity))
