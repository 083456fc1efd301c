"""The reference recomputation of the bonus rules, on worlds small enough to check by hand.

Demo coefficients throughout (bonus_world.DEMO_COEFFICIENTS): 150 ₽ a point, complexity
0.8/1.0/1.25/1.5/2.0, SLA breach 0.5, urgency max 0.5, escalation 0.25, repeat window 30 days,
repeat penalty 0.5, hourly share 0.10, KPI 0.95 -> 1.10 and < 0.85 -> 0.90.
"""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from bonus_reference import (
    Coefficient,
    DutyTariff,
    ServiceTariff,
    Shift,
    TimeEntry,
    World,
    calc_hash,
    compute_bonus,
    summarise,
)
from bonus_reference.inputs import event_id
from bonus_reference.rules import urgency
from bonus_world import at, coefficients, prices, ticket

D = Decimal
MARCH = date(2026, 3, 1)


def amounts(lines, kind=None):
    return [ln.amount_rub for ln in lines if kind is None or ln.line_kind == kind]


def test_ticket_points_with_complexity_and_urgency_half():
    """diagnostics = 3 points; complexity 3 -> 1.25; deadline met -> s = 1;
    created 10:00, taken 14:00, deadline 18:00 -> u = 4/8 = 0.5 -> w = 1 + 0.5 x 0.5 = 1.25.
    points = round(3 x 1.25 x 1 x 1.25 = 4.6875, 2) = 4.69; amount = round(4.69 x 150, 2) = 703.50."""
    t = ticket(1, "2026-03-02 10:00", taken="2026-03-02 14:00", completed="2026-03-02 16:00",
               deadline="2026-03-02 18:00", complexity=3)
    lines = compute_bonus(World([t], coefficients(), prices(diagnostics="3")))
    assert [(ln.line_kind, ln.points, ln.amount_rub, ln.period_start) for ln in lines] == [
        ("kpi_multiplier", None, D("70.35"), MARCH),  # 1 of 1 in SLA: 703.50 x 0.10
        ("ticket_points", D("4.69"), D("703.50"), MARCH),
    ]


def test_sla_breach_halves_the_points():
    """base 2, complexity 2 -> 1.0, completed after the deadline -> s = 0.5; taken at creation
    -> u = 0, w = 1. points = 2 x 1 x 0.5 x 1 = 1.00; amount = 150.00. (0 of 1 in SLA -> kpi x0.90: -15.00.)"""
    t = ticket(1, "2026-03-02 10:00", taken="2026-03-02 10:00", completed="2026-03-03 10:00",
               deadline="2026-03-02 18:00")
    lines = compute_bonus(World([t], coefficients(), prices(diagnostics="2")))
    assert amounts(lines, "ticket_points") == [D("150.00")]
    assert amounts(lines, "kpi_multiplier") == [D("-15.00")]


def test_urgency_edges():
    """u = 0 without a deadline or without taken_at; 1 when the deadline is not after creation;
    clamped to 1 when taken after the deadline; 0.25 a quarter of the way; not rounded (1/3)."""
    c, d = at("2026-03-02 10:00"), at("2026-03-02 22:00")
    assert urgency(c, None, d) == 0
    assert urgency(c, at("2026-03-02 12:00"), None) == 0
    assert urgency(c, at("2026-03-02 12:00"), c) == 1
    assert urgency(c, at("2026-03-02 12:00"), at("2026-03-02 09:00")) == 1
    assert urgency(c, at("2026-03-03 12:00"), d) == 1
    assert urgency(c, c, d) == 0
    assert urgency(c, at("2026-03-02 13:00"), d) == Fraction(1, 4)
    assert urgency(c, at("2026-03-02 14:00"), d) == Fraction(1, 3)


def test_deadline_before_creation_pays_full_urgency():
    """deadline = creation -> u = 1, w = 1.5; complexity 1 -> 0.8; completed later -> breached, s = 0.5.
    points = 2 x 0.8 x 0.5 x 1.5 = 1.20; amount = 180.00."""
    t = ticket(1, "2026-03-02 10:00", taken="2026-03-02 11:00", completed="2026-03-02 12:00",
               deadline="2026-03-02 10:00", complexity=1)
    assert amounts(compute_bonus(World([t], coefficients(), prices(diagnostics="2"))), "ticket_points") == [D("180.00")]


def test_urgency_one_third_is_not_rounded_before_the_points():
    """u = 1/3 (taken 4h into a 12h window): w = 1 + 0.5/3 = 1.1666...; base 3, c 1.0:
    3 x 1.1666... = 3.50 points -> 525.00."""
    t = ticket(1, "2026-03-02 10:00", taken="2026-03-02 14:00", completed="2026-03-02 15:00",
               deadline="2026-03-02 22:00")
    lines = compute_bonus(World([t], coefficients(), prices(diagnostics="3")))[1:]
    assert (lines[0].points, lines[0].amount_rub) == (D("3.50"), D("525.00"))


def test_exact_half_kopeck_product_rounds_away_from_zero():
    """u = 1/3 (taken 4h into a 12h window), base 3, complexity 3 (1.25):
    3 x 1.25 x (1 + 0.5/3) = 3.75 + 0.625 = 4.375 exactly -> 4.38 points (not 4.37, which a
    truncated 0.3333... would give) -> 4.38 x 150 = 657.00."""
    t = ticket(1, "2026-03-02 10:00", taken="2026-03-02 14:00", completed="2026-03-02 15:00",
               deadline="2026-03-02 22:00", complexity=3)
    line = compute_bonus(World([t], coefficients(), prices(diagnostics="3")))[1]
    assert (line.points, line.amount_rub) == (D("4.38"), D("657.00"))


def test_missing_complexity_is_complexity_2_and_escalation_adds_a_quarter():
    """complexity missing -> complexity_2 = 1.0; no deadline -> s = 1, u = 0; escalated -> w = 1.25.
    base 1 -> 1.25 points -> 187.50."""
    t = ticket(1, "2026-03-02 10:00", completed="2026-03-02 12:00", complexity=None, escalated=True)
    lines = compute_bonus(World([t], coefficients(), prices(diagnostics="1")))
    assert (lines[0].points, lines[0].amount_rub) == (D("1.25"), D("187.50"))
    assert lines[0].coefficients["complexity_2"] == D("1.0")


def test_work_type_missing_from_price_list_still_writes_a_zero_line():
    """installation has no price -> base 0 -> a 0.00 line, so the manager sees the ticket."""
    t = ticket(7, "2026-03-02 10:00", completed="2026-03-02 12:00", work_type="installation")
    lines = compute_bonus(World([t], coefficients(), prices(diagnostics="3")))
    assert [(ln.line_kind, ln.ticket_id, ln.points, ln.amount_rub) for ln in lines] == [
        ("ticket_points", 7, D("0.00"), D("0.00"))
    ]


def test_reopened_and_recompleted_ticket_earns_one_line_and_a_penalty():
    """base 2, c 1.0 -> 2.00 points -> 300.00 at the first completion (Mar 2). Reopened Mar 5
    (within 30 days) and completed again: no second points line; a repeat penalty
    -round(300.00 x 0.5) = -150.00 with the reopen as its event. Total 150.00."""
    t = ticket(1, "2026-03-02 10:00", completed="2026-03-02 12:00",
               extra=(("2026-03-05 09:00", "opened"), ("2026-03-05 15:00", "completed")))
    lines = compute_bonus(World([t], coefficients(), prices(diagnostics="2")))
    reopen_id = t.history[2].history_id
    assert [(ln.line_kind, ln.amount_rub, ln.source_event_id) for ln in lines] == [
        ("repeat_penalty", D("-150.00"), event_id("ticket_reopened", "helpdesk", reopen_id)),
        ("ticket_points", D("300.00"), event_id("ticket_completed", "helpdesk", t.history[1].history_id)),
    ]
    assert summarise(lines)[("E001", MARCH)].total_rub == D("150.00")


def test_repeat_is_booked_in_the_later_period_and_leaves_the_earlier_one_alone():
    """T1 (base 3, c 1.0 -> 450.00) completed Feb 25 on site S1 with unit SN1; T2 created Mar 10 on
    S1 with SN1 (13 days later): penalty -225.00 for T1's engineer, booked in March with T2's
    creation as the event. February's lines and calc_hash are the same with or without T2."""
    t1 = ticket(1, "2026-02-24 10:00", completed="2026-02-25 12:00", equipment=("SN1", "SN2"))
    t2 = ticket(2, "2026-03-10 09:00", engineer="E002", equipment=("SN1",))
    world_before = World([t1], coefficients(), prices(diagnostics="3"))
    world_after = World([t1, t2], coefficients(), prices(diagnostics="3"))
    before, after = compute_bonus(world_before), compute_bonus(world_after)
    feb = date(2026, 2, 1)
    penalty = [ln for ln in after if ln.line_kind == "repeat_penalty"]
    assert [(ln.personnel_no, ln.period_start, ln.ticket_id, ln.amount_rub, ln.source_event_id)
            for ln in penalty] == [("E001", MARCH, 1, D("-225.00"), event_id("ticket_created", "helpdesk", 2))]
    assert summarise(before)[("E001", feb)] == summarise(after)[("E001", feb)]
    # March holds only the penalty: -225.00, floored back to 0.00
    march = summarise(after)[("E001", MARCH)]
    assert march.total_rub == D("0.00") and march.line_counts["floor_adjustment"] == 1


def test_repeat_needs_shared_equipment_or_same_work_type_without_equipment():
    """T1 has equipment SN1; T2 on the same site with other equipment and the same work type is
    not a repeat. T3 (no equipment) then T4 same work type on the same site is a repeat;
    T5 with another work type is not a repeat of T3 (T3 has no equipment)."""
    t1 = ticket(1, "2026-03-01 10:00", completed="2026-03-01 12:00", equipment=("SN1",))
    t2 = ticket(2, "2026-03-03 10:00", equipment=("SN9",))
    t3 = ticket(3, "2026-03-01 10:00", completed="2026-03-01 12:00", site="S2")
    t4 = ticket(4, "2026-03-04 10:00", site="S2")
    t5 = ticket(5, "2026-03-02 10:00", site="S2", work_type="maintenance")
    lines = compute_bonus(World([t1, t2, t3, t4, t5], coefficients(), prices(diagnostics="2")))
    assert [(ln.ticket_id, ln.source_event_id) for ln in lines if ln.line_kind == "repeat_penalty"] == [
        (3, event_id("ticket_created", "helpdesk", 4))
    ]


def test_repeat_window_is_inclusive_in_24h_days_and_first_repeat_only():
    """T1 completed Mar 1 12:00. T2 created exactly 30 x 24h later (Mar 31 12:00) is a repeat;
    T3 one minute later would be too, but only the first repeat is penalised (one line).
    A ticket 30 days and 1 minute after T1 alone is not a repeat."""
    t1 = ticket(1, "2026-03-01 10:00", completed="2026-03-01 12:00", equipment=("SN1",))
    t2 = ticket(2, "2026-03-31 12:00", equipment=("SN1",))
    t3 = ticket(3, "2026-03-31 12:01", equipment=("SN1",))
    lines = compute_bonus(World([t1, t2, t3], coefficients(), prices(diagnostics="2")))
    assert [ln.source_event_id for ln in lines if ln.line_kind == "repeat_penalty"] == [
        event_id("ticket_created", "helpdesk", 2)
    ]
    lines = compute_bonus(World([t1, t3], coefficients(), prices(diagnostics="2")))
    assert [ln for ln in lines if ln.line_kind == "repeat_penalty"] == []


def test_repeat_points_at_the_most_recently_completed_ticket():
    """T1 completed Mar 1 12:00, T2 (created Mar 1 08:00, before T1's completion, so not its repeat)
    completed Mar 3, both on SN1; T3 on SN1 on Mar 5 repeats T2 only."""
    t1 = ticket(1, "2026-03-01 08:00", completed="2026-03-01 12:00", equipment=("SN1",))
    t2 = ticket(2, "2026-03-01 08:00", completed="2026-03-03 12:00", equipment=("SN1",), engineer="E002")
    t3 = ticket(3, "2026-03-05 08:00", equipment=("SN1",))
    lines = compute_bonus(World([t1, t2, t3], coefficients(), prices(diagnostics="2")))
    assert [(ln.personnel_no, ln.ticket_id) for ln in lines if ln.line_kind == "repeat_penalty"] == [("E002", 2)]


def test_duty_shifts_across_a_tariff_change():
    """duty_night 2000.00 until Mar 1 00:00 MSK, 2500.00 from then. A shift starting Feb 28 21:00
    -> 2000.00 in February; one starting Mar 1 21:00 -> 2500.00 in March. A day shift, an absent
    duty and a deleted duty give nothing."""
    tariffs = [DutyTariff("duty_night", at("2025-01-01 00:00"), D("2000.00")),
               DutyTariff("duty_night", at("2026-03-01 00:00"), D("2500.00"))]
    shifts = [
        Shift("a", "E001", "duty_night", "worked", at("2026-02-28 21:00"), at("2026-02-28 21:00")),
        Shift("b", "E001", "duty_night", "worked", at("2026-03-01 21:00"), at("2026-03-01 21:05")),
        Shift("c", "E001", "day", "worked", at("2026-03-02 09:00"), at("2026-03-02 09:00")),
        Shift("d", "E001", "duty_night", "absent", at("2026-03-03 21:00")),
        Shift("e", "E001", "duty_night", "worked", at("2026-03-04 21:00"), at("2026-03-04 21:00"), deleted=True),
    ]
    lines = compute_bonus(World([], coefficients(), shifts=shifts, duty_tariffs=tariffs))
    assert [(ln.period_start, ln.amount_rub, ln.source_event_id) for ln in lines] == [
        (date(2026, 2, 1), D("2000.00"), event_id("shift_worked", "schedule", "a")),
        (MARCH, D("2500.00"), event_id("shift_worked", "schedule", "b")),
    ]


def test_hourly_work_share():
    """2.5 h x 1800 x 0.10 = 450.00; 1.25 h x 1333 x 0.10 = 166.625 -> 166.63 (half away from zero);
    an onsite entry gives nothing."""
    tariffs = [ServiceTariff("paid_visit", at("2025-01-01 00:00"), D("1800")),
               ServiceTariff("consultation", at("2025-01-01 00:00"), D("1333"))]
    entries = [
        TimeEntry(1, 10, "E001", at("2026-03-02 12:00"), D("2.5"), "hourly_work", "paid_visit"),
        TimeEntry(2, 11, "E001", at("2026-03-03 12:00"), D("1.25"), "hourly_work", "consultation"),
        TimeEntry(3, 11, "E001", at("2026-03-03 13:00"), D("4"), "onsite", "consultation"),
    ]
    lines = compute_bonus(World([], coefficients(), time_entries=entries, service_tariffs=tariffs))
    assert sorted((ln.ticket_id, ln.amount_rub) for ln in lines) == [(10, D("450.00")), (11, D("166.63"))]


def _sla_world(met: int, breached: int) -> World:
    """`met` tickets within deadline (1.00 point = 150.00 each) and `breached` after it (75.00 each)."""
    tickets = []
    for i in range(met + breached):
        done = "2026-03-10 12:00" if i < met else "2026-03-11 12:00"
        tickets.append(ticket(i + 1, "2026-03-10 08:00", taken="2026-03-10 08:00", completed=done,
                              deadline="2026-03-10 20:00", site=f"S{i}"))
    return World(tickets, coefficients(), prices(diagnostics="1"))


def test_kpi_multiplier_at_exactly_the_high_threshold():
    """19 of 20 met: r = 0.95 >= 0.95 -> x1.10. base = 19 x 150 + 75 = 2925.00; line = 292.50."""
    lines = compute_bonus(_sla_world(19, 1))
    assert amounts(lines, "kpi_multiplier") == [D("292.50")]
    assert [ln.source_event_id for ln in lines if ln.line_kind == "kpi_multiplier"] == ["kpi:E001:2026-03"]
    assert summarise(lines)[("E001", MARCH)].total_rub == D("3217.50")


def test_kpi_multiplier_just_below_high_and_exactly_at_low_threshold_give_no_line():
    """18 of 19 (0.947...) and 17 of 20 (0.85, not < 0.85): no kpi line."""
    assert amounts(compute_bonus(_sla_world(18, 1)), "kpi_multiplier") == []
    assert amounts(compute_bonus(_sla_world(17, 3)), "kpi_multiplier") == []


def test_kpi_multiplier_below_the_low_threshold():
    """16 of 20 met: r = 0.80 < 0.85 -> x0.90. base = 16 x 150 + 4 x 75 = 2700.00; line = -270.00."""
    assert amounts(compute_bonus(_sla_world(16, 4)), "kpi_multiplier") == [D("-270.00")]


def test_kpi_thresholds_are_read_at_the_periods_last_moment():
    """The high threshold drops to 0.90 on Mar 31 23:59 MSK (still March): 18 of 20 = 0.90 earns
    x1.10 in March. base = 18 x 150 + 2 x 75 = 2850.00; line = 285.00."""
    world = _sla_world(18, 2)
    coefs = [*world.coefficients, Coefficient("kpi_sla_high_threshold", at("2026-03-31 23:59"), D("0.90"))]
    lines = compute_bonus(World(world.tickets, coefs, world.points))
    assert amounts(lines, "kpi_multiplier") == [D("285.00")]


def test_floor_brings_a_negative_month_to_zero_and_no_kpi_on_negative_base():
    """E001: in February a ticket of 2 points (300.00); in March its repeat (-150.00) and a
    breached ticket with an unpriced work type (0.00, r = 0 < 0.85 but base < 0 -> no kpi line).
    March: -150.00 + 0.00 -> floor +150.00 -> total 0.00."""
    t1 = ticket(1, "2026-02-20 10:00", completed="2026-02-20 12:00", equipment=("SN1",))
    t2 = ticket(2, "2026-03-02 10:00", equipment=("SN1",), engineer="E002")
    t3 = ticket(3, "2026-03-03 10:00", completed="2026-03-05 10:00", deadline="2026-03-04 10:00",
                work_type="installation", site="S9")
    lines = compute_bonus(World([t1, t2, t3], coefficients(), prices(diagnostics="2")))
    march = [(ln.line_kind, ln.amount_rub) for ln in lines if ln.period_start == MARCH]
    assert march == [("floor_adjustment", D("150.00")), ("repeat_penalty", D("-150.00")),
                     ("ticket_points", D("0.00"))]
    assert summarise(lines)[("E001", MARCH)].total_rub == D("0.00")


def test_coefficients_are_read_at_the_completion_moment():
    """points_rate_rub goes 150 -> 200 on Mar 15 00:00 MSK. Base 1: completed Mar 14 23:59 -> 150.00;
    completed Mar 15 00:00 -> 200.00."""
    coefs = [*coefficients(), Coefficient("points_rate_rub", at("2026-03-15 00:00"), D("200"))]
    t1 = ticket(1, "2026-03-14 10:00", completed="2026-03-14 23:59", site="A")
    t2 = ticket(2, "2026-03-14 10:00", completed="2026-03-15 00:00", site="B")
    lines = compute_bonus(World([t1, t2], coefs, prices(diagnostics="1")))
    assert sorted((ln.ticket_id, ln.amount_rub) for ln in lines) == [(1, D("150.00")), (2, D("200.00"))]


def test_period_is_the_month_in_the_company_zone():
    """Completed 2026-02-28 22:30 UTC = Mar 1 01:30 MSK -> March."""
    t = ticket(1, "2026-02-28 10:00", completed="2026-03-01 01:30")
    assert compute_bonus(World([t], coefficients(), prices(diagnostics="1")))[0].period_start == MARCH


def test_unmatched_engineer_gets_no_line():
    t = ticket(1, "2026-03-02 10:00", completed="2026-03-02 12:00", engineer=None)
    assert compute_bonus(World([t], coefficients(), prices(diagnostics="1"))) == []


def test_calc_hash_is_sha256_of_sorted_kind_event_amount_rows():
    """Rows sorted by kind, then event id in code-point order ('Z' < 'a'); amounts with two places."""
    from bonus_reference import BonusLine

    mk = lambda kind, ev, amt: BonusLine("E1", MARCH, kind, ev, D(amt))  # noqa: E731
    lines = [mk("ticket_points", "h:a", "703.5"), mk("repeat_penalty", "h:Z", "-722.63"),
             mk("ticket_points", "h:Z", "0")]
    text = "repeat_penalty|h:Z|-722.63\nticket_points|h:Z|0.00\nticket_points|h:a|703.50"
    assert calc_hash(lines) == hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_truth_reader_names_the_missing_file(tmp_path):
    from bonus_reference.simulator_truth import TruthError, world_from_truth

    with pytest.raises(TruthError, match="hd_employees.csv: missing"):
        world_from_truth(tmp_path)


def test_truth_reader_names_the_bad_cell(tmp_path):
    from bonus_reference.simulator_truth import TruthError, world_from_truth

    files = {
        "hd_employees": "id,personnel_no\n1,E1\n",
        "hd_sites": "id,site_code\n",
        "hd_equipment": "id,serial_number\n",
        "hd_status_history": "id,issue_id,status_code,changed_at\n5,1,opened,yesterday\n",
    }
    for name, text in files.items():
        (tmp_path / f"{name}.csv").write_text(text, encoding="utf-8")
    with pytest.raises(TruthError, match=r"hd_status_history.csv row 2: 'yesterday' is not an ISO timestamp"):
        world_from_truth(tmp_path)
