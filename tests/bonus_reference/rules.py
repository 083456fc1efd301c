"""The six bonus rules of docs/rules.md, line by line, in Decimal with half-away-from-zero rounding."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from bonus_reference.calc_hash import calc_hash
from bonus_reference.inputs import Ticket, World
from bonus_reference.lines import LINE_KINDS, BonusLine, BonusSummary
from bonus_reference.periods import period_last_moment, period_of
from bonus_reference.registers import Registers
from bonus_reference.tickets import completion, reopens, taken_at

DUTY_TYPES = frozenset({"duty_day", "duty_night", "duty_weekend"})
CENT = Decimal("0.01")
ZERO = Decimal("0")
ONE = Decimal("1")


def round2(x: Decimal) -> Decimal:
    """PostgreSQL's round(numeric, 2): half away from zero."""
    return x.quantize(CENT, rounding=ROUND_HALF_UP)


def round2_exact(x: Fraction) -> Decimal:
    """Half away from zero to 2 decimals of an exact rational."""
    cents = abs(x) * 100
    whole = int(cents + Fraction(1, 2))  # floor(|x| x 100 + 1/2)
    return (Decimal(whole) / 100 * (1 if x >= 0 else -1)).quantize(CENT)


def urgency(created: datetime, taken: datetime | None, deadline: datetime | None) -> Fraction:
    """u of rule 1: the ticket's urgency when it was picked up, in [0, 1], exact (not rounded)."""
    if deadline is None or taken is None:
        return Fraction(0)
    if deadline <= created:
        return Fraction(1)
    elapsed = (taken - created) // timedelta(microseconds=1)
    span = (deadline - created) // timedelta(microseconds=1)
    return min(Fraction(1), max(Fraction(0), Fraction(elapsed, span)))


@dataclass(frozen=True)
class _Points:
    line: BonusLine
    completed_at: datetime


def ticket_points_lines(world: World, reg: Registers) -> dict[int, _Points]:
    out: dict[int, _Points] = {}
    for t in world.tickets:
        done = completion(t)
        if done is None or t.personnel_no is None:
            continue
        at = done.changed_at
        price = reg.points(t.work_type, at)
        base = price if price is not None else ZERO
        n = t.complexity if t.complexity in (1, 2, 3, 4, 5) else 2
        c = reg.coef(f"complexity_{n}", at)
        breached = t.deadline_at is not None and at > t.deadline_at
        s = reg.coef("sla_breach_factor", at) if breached else ONE
        u = urgency(t.created_at, taken_at(t), t.deadline_at)
        uwm = reg.coef("urgency_weight_max", at)
        esc = reg.coef("escalation_bonus", at)
        w = 1 + Fraction(uwm) * u + (Fraction(esc) if t.is_escalated else 0)
        points = round2_exact(Fraction(base) * Fraction(c) * Fraction(s) * w)
        rate = reg.coef("points_rate_rub", at)
        amount = round2(points * rate)
        line = BonusLine(
            personnel_no=t.personnel_no,
            period_start=period_of(at, world.company_tz),
            line_kind="ticket_points",
            source_event_id=world.event_ids.ticket_completed(t, done),
            amount_rub=amount,
            ticket_id=t.ticket_id,
            points=points,
            coefficients={
                "base_points": base, f"complexity_{n}": c, "sla_breach_factor": s,
                "urgency_u": Decimal(u.numerator) / u.denominator, "urgency_weight_max": uwm,
                "escalation_bonus": esc, "w": Decimal(w.numerator) / w.denominator, "points_rate_rub": rate,
            },
        )
        out[t.ticket_id] = _Points(line, at)
    return out


def _is_repeat_of(t1: Ticket, t1_done: datetime, t2: Ticket, window: Decimal) -> bool:
    if t1.ticket_id == t2.ticket_id or t1.site_code is None or t1.site_code != t2.site_code:
        return False
    if not t1_done < t2.created_at:
        return False
    if t2.created_at - t1_done > timedelta(days=float(window)):
        return False
    if t1.equipment & t2.equipment:
        return True
    return not t1.equipment and t1.work_type is not None and t1.work_type == t2.work_type


def repeat_events(world: World, reg: Registers) -> dict[int, tuple[datetime, str]]:
    """T1 ticket id -> (moment, event id) of its first repeat (new ticket or reopen)."""
    done = {t.ticket_id: c.changed_at for t in world.tickets if (c := completion(t)) is not None}
    by_site: dict[str, list[Ticket]] = defaultdict(list)
    for t in world.tickets:
        if t.ticket_id in done and t.site_code is not None:
            by_site[t.site_code].append(t)
    candidates: dict[int, list[tuple[datetime, str]]] = defaultdict(list)
    for t2 in world.tickets:
        if t2.site_code is None:
            continue
        window = reg.coef("repeat_window_days", t2.created_at)
        best: tuple[datetime, int] | None = None
        for t1 in by_site.get(t2.site_code, ()):
            t1_done = done[t1.ticket_id]
            if _is_repeat_of(t1, t1_done, t2, window):
                key = (t1_done, t1.ticket_id)
                if best is None or key > best:
                    best = key
        if best is not None:
            candidates[best[1]].append((t2.created_at, world.event_ids.ticket_created(t2)))
    by_id = {t.ticket_id: t for t in world.tickets}
    for t1_id, t1_done in done.items():
        t1 = by_id[t1_id]
        for r in reopens(t1):
            if r.changed_at < t1_done:
                continue
            window = reg.coef("repeat_window_days", r.changed_at)
            if r.changed_at - t1_done <= timedelta(days=float(window)):
                candidates[t1_id].append((r.changed_at, world.event_ids.ticket_reopened(t1, r)))
    return {t1: min(evs) for t1, evs in candidates.items()}


def compute_bonus(world: World) -> list[BonusLine]:
    reg = Registers(world.coefficients, world.points, world.duty_tariffs, world.service_tariffs)
    tz = world.company_tz
    points = ticket_points_lines(world, reg)
    lines: list[BonusLine] = [p.line for p in points.values()]

    # rule 2: repeat penalty, booked in the period of the repeat
    for t1_id, (moment, event_id) in repeat_events(world, reg).items():
        if t1_id not in points:
            continue
        t1_line = points[t1_id].line
        share = reg.coef("repeat_penalty_share", moment)
        amount = -round2(t1_line.amount_rub * share)
        if amount == 0:
            continue
        lines.append(BonusLine(
            personnel_no=t1_line.personnel_no, period_start=period_of(moment, tz),
            line_kind="repeat_penalty", source_event_id=event_id, amount_rub=amount,
            ticket_id=t1_id,
            coefficients={"repeat_penalty_share": share, "ticket_points_amount": t1_line.amount_rub},
        ))

    # rule 3: duty shifts
    for s in world.shifts:
        if s.deleted or s.status != "worked" or s.shift_type not in DUTY_TYPES or s.personnel_no is None:
            continue
        start = s.actual_start or s.planned_start
        rate = reg.duty_rate(s.shift_type, start) or ZERO
        lines.append(BonusLine(
            personnel_no=s.personnel_no, period_start=period_of(start, tz), line_kind="duty_shift",
            source_event_id=world.event_ids.shift_worked(s), amount_rub=round2(rate),
            coefficients={"duty_rate": rate},
        ))

    # rule 4: hourly work share
    for e in world.time_entries:
        if e.activity != "hourly_work" or e.personnel_no is None:
            continue
        client_rate = reg.client_rate(e.work_type, e.logged_at) or ZERO
        share = reg.coef("hourly_work_share", e.logged_at)
        lines.append(BonusLine(
            personnel_no=e.personnel_no, period_start=period_of(e.logged_at, tz),
            line_kind="hourly_work_share", source_event_id=world.event_ids.work_logged(e),
            amount_rub=round2(e.hours * client_rate * share), ticket_id=e.ticket_id,
            coefficients={"hours": e.hours, "client_rate": client_rate, "hourly_work_share": share},
        ))

    # rules 5 and 6 per engineer and period
    by_key: dict[tuple[str, date], list[BonusLine]] = defaultdict(list)
    for ln in lines:
        by_key[(ln.personnel_no, ln.period_start)].append(ln)
    sla = sla_counts(world)
    for key in sorted(set(by_key) | set(sla)):
        pno, period = key
        group = by_key[key]
        base = sum((ln.amount_rub for ln in group), ZERO)
        met, total = sla.get(key, (0, 0))
        if total > 0 and base > 0:
            last = period_last_moment(period, tz)
            hi_t = reg.coef("kpi_sla_high_threshold", last)
            lo_t = reg.coef("kpi_sla_low_threshold", last)
            m: Decimal | None = None
            if Decimal(met) >= hi_t * total:
                m = reg.coef("kpi_sla_high_multiplier", last)
            elif Decimal(met) < lo_t * total:
                m = reg.coef("kpi_sla_low_multiplier", last)
            if m is not None:
                ym = period.strftime("%Y-%m")
                line = BonusLine(
                    personnel_no=pno, period_start=period, line_kind="kpi_multiplier",
                    source_event_id=f"kpi:{pno}:{ym}", amount_rub=round2(base * (m - ONE)),
                    coefficients={"base_rub": base, "sla_resolution_rate": Decimal(met) / total, "multiplier": m},
                )
                group.append(line)
                lines.append(line)
        subtotal = sum((ln.amount_rub for ln in group), ZERO)
        if group and subtotal < 0:
            ym = period.strftime("%Y-%m")
            line = BonusLine(
                personnel_no=pno, period_start=period, line_kind="floor_adjustment",
                source_event_id=f"floor:{pno}:{ym}", amount_rub=-subtotal,
                coefficients={"subtotal_rub": subtotal},
            )
            group.append(line)
            lines.append(line)
    return sorted(lines, key=lambda ln: (ln.personnel_no, ln.period_start, ln.line_kind, ln.source_event_id))


def sla_counts(world: World) -> dict[tuple[str, date], tuple[int, int]]:
    """(met, total) of sla_resolution_rate per engineer and period: completed tickets with a deadline."""
    out: dict[tuple[str, date], tuple[int, int]] = {}
    for t in world.tickets:
        done = completion(t)
        if done is None or t.personnel_no is None or t.deadline_at is None:
            continue
        key = (t.personnel_no, period_of(done.changed_at, world.company_tz))
        met, total = out.get(key, (0, 0))
        out[key] = (met + (done.changed_at <= t.deadline_at), total + 1)
    return out


def summarise(lines: list[BonusLine]) -> dict[tuple[str, date], BonusSummary]:
    groups: dict[tuple[str, date], list[BonusLine]] = defaultdict(list)
    for ln in lines:
        groups[(ln.personnel_no, ln.period_start)].append(ln)
    return {
        key: BonusSummary(
            personnel_no=key[0], period_start=key[1],
            total_rub=sum((ln.amount_rub for ln in g), ZERO),
            line_counts={k: sum(ln.line_kind == k for ln in g) for k in LINE_KINDS},
            calc_hash=calc_hash(g),
        )
        for key, g in groups.items()
    }
