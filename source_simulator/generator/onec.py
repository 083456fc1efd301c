"""1C: effective-dated registers (coefficients, points, tariffs) and monthly sales documents."""

from __future__ import annotations

from datetime import date, timedelta

from source_simulator.generator import catalog
from source_simulator.generator.clock import COMPANY_TZ, MS_DAY, MS_HOUR, add_months, local_ms, local_naive
from source_simulator.generator.org import Org, contract_terms_at
from source_simulator.generator.rng import data_version, stable_uuid, stream
from source_simulator.generator.sink import Sink
from source_simulator.profiles import Profile

INITIAL_PERIOD = "2020-01-01T00:00:00"


def change_moments(profile: Profile, start: date) -> dict[str, date]:
    """Where the mid-history changes fall: inside the history even for `tiny` (its 2nd month)."""
    mid = add_months(start.replace(day=1), max(1, profile.months // 2))
    late = add_months(start.replace(day=1), max(1, min(profile.months - 1, round(profile.months * 0.75))))
    return {
        "coefficient": mid,                          # 1st of the month
        "points": mid.replace(day=15),               # mid-month: price in force at completion matters
        "duty": late.replace(day=10),
        "service": mid.replace(day=20),
    }


def write_registers(sink: Sink, profile: Profile, start: date, horizon_ms: int) -> None:
    start_ms = local_ms(start, COMPANY_TZ)
    entered = start_ms - 500 * MS_DAY
    changes = change_moments(profile, start)

    def change_row(day: date) -> tuple[str, int]:
        period_ms = local_ms(day, COMPANY_TZ)
        return local_naive(period_ms), period_ms - 5 * MS_DAY + 10 * MS_HOUR

    def add(table: str, valid_from: int, row: dict[str, object]) -> None:
        if valid_from <= horizon_ms:
            sink.add_versions(table, [(valid_from, row)])

    for code, value in catalog.COEFFICIENTS.items():
        add("onec_bonus_coefficients", entered, {"period": INITIAL_PERIOD, "code": code, "value": value})
    period, vf = change_row(changes["coefficient"])
    code, value = catalog.COEFFICIENT_CHANGE
    add("onec_bonus_coefficients", vf, {"period": period, "code": code, "value": value})

    for wt, pts in catalog.POINTS.items():
        add("onec_points", entered, {"period": INITIAL_PERIOD, "work_type": wt, "points": pts})
    period, vf = change_row(changes["points"])
    wt, pts = catalog.POINTS_CHANGE
    add("onec_points", vf, {"period": period, "work_type": wt, "points": pts})

    for st, rate in catalog.DUTY_TARIFFS.items():
        add("onec_duty_tariffs", entered, {"period": INITIAL_PERIOD, "shift_type": st, "rate": rate})
    period, vf = change_row(changes["duty"])
    st, rate = catalog.DUTY_TARIFF_CHANGE
    add("onec_duty_tariffs", vf, {"period": period, "shift_type": st, "rate": rate})

    for wt, (client_rate, cost) in catalog.SERVICE_TARIFFS.items():
        add("onec_service_tariffs", entered,
            {"period": INITIAL_PERIOD, "work_type": wt, "client_rate": client_rate, "engineer_cost": cost})
    period, vf = change_row(changes["service"])
    wt, (client_rate, cost) = catalog.SERVICE_TARIFF_CHANGE
    add("onec_service_tariffs", vf,
        {"period": period, "work_type": wt, "client_rate": client_rate, "engineer_cost": cost})


def write_sales(sink: Sink, seed: int, org: Org, start: date, horizon_ms: int) -> None:
    """One sales document per client and month (dated the month's last day, 18:00 local)."""
    month = start.replace(day=1)
    number = 0
    while True:
        last_day = add_months(month, 1) - timedelta(days=1)
        doc_ms = local_ms(last_day, COMPANY_TZ, 18)
        if doc_ms > horizon_ms:
            break
        for client in org.clients:
            contract = next((k for k in reversed(client.contracts)
                             if k.start <= last_day and (k.end is None or k.end >= month)), None)
            if contract is None:
                continue
            terms = contract_terms_at(contract, doc_ms)
            if terms is None:
                continue
            rng = stream(seed, "sale", client.hd_id, month.isoformat())
            number += 1
            ref = stable_uuid(seed, "sale", client.hd_id, month.isoformat())
            fee = float(terms[0])
            extra = 0.0 if rng.random() < 0.6 else float(terms[2]) * rng.randint(1, 12)
            roll = rng.random()
            if month == start.replace(day=1) and client.hd_id in (2, 3):
                roll = 0.01 if client.hd_id == 2 else 0.07   # every world has both kinds from month 1
            row = {
                "ref_key": ref, "number": f"СТ00-{number:06d}", "date": local_naive(doc_ms),
                "client_key": client.onec_ref, "contract_key": contract.ref,
                "amount": f"{fee + extra:.2f}",
            }
            created = doc_ms + rng.randint(1, 72) * MS_HOUR
            if roll < 0.05:      # drafted, never posted
                sink.add_versions("onec_sales", [(created, {
                    **row, "data_version": data_version(seed, ref, 1), "deletion_mark": 0, "posted": 0})],
                    horizon_ms)
            elif roll < 0.09:    # posted, then marked for deletion and replaced by a corrected one
                marked = created + rng.randint(3, 20) * MS_DAY
                sink.add_versions("onec_sales", [
                    (created, {**row, "data_version": data_version(seed, ref, 1), "deletion_mark": 0, "posted": 1}),
                    (marked, {**row, "data_version": data_version(seed, ref, 2), "deletion_mark": 1, "posted": 0}),
                ], horizon_ms)
                number += 1
                ref2 = stable_uuid(seed, "sale-fix", client.hd_id, month.isoformat())
                sink.add_versions("onec_sales", [(marked + MS_HOUR, {
                    **row, "ref_key": ref2, "number": f"СТ00-{number:06d}",
                    "amount": f"{fee + extra * 0.8:.2f}", "data_version": data_version(seed, ref2, 1),
                    "deletion_mark": 0, "posted": 1})], horizon_ms)
            else:
                sink.add_versions("onec_sales", [(created, {
                    **row, "data_version": data_version(seed, ref, 1), "deletion_mark": 0, "posted": 1})],
                    horizon_ms)
        month = add_months(month, 1)
