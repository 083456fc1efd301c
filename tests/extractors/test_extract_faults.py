"""Every fault mode of the simulator at once: retries get through, malformed rows land in rejects,
moving pages lose nothing, and the raw layer converges to the truth."""

from __future__ import annotations

import psycopg

from extractors.common.runner import EntityResult
from extractors.run import ALL_SPECS, extract
from source_simulator.servers.faults import ALL_MODES


def _spec(table: str):
    """The extractor's spec of a raw table `schema.table` (not imported from conftest: each
    test folder has a conftest module and only the last one imported is `conftest`)."""
    return next(s for s in ALL_SPECS if f"{s.schema}.{s.table}" == table)


REJECT_TABLE = {"helpdesk": "raw_helpdesk.rejects", "schedule": "raw_schedule.rejects", "onec": "raw_onec.rejects"}
ONEC_ENTITY = {
    "Catalog_Сотрудники": "employees", "Catalog_Контрагенты": "clients", "Catalog_ДоговорыКонтрагентов": "contracts",
    "Document_РеализацияТоваровУслуг": "sales", "InformationRegister_ПремиальныеКоэффициенты": "bonus_coefficients",
    "InformationRegister_БаллыЗаВидыРабот": "points", "InformationRegister_ТарифыДежурств": "duty_tariffs",
    "InformationRegister_ТарифыОбслуживания": "service_tariffs",
}


def _results(results) -> list[EntityResult]:
    failed = [r for r in results if not isinstance(r, EntityResult)]
    assert not failed, f"entities failed despite retries: {failed}"
    return results


def test_all_faults_then_converges(sim, module_db, raw_matches_truth, truth_at):
    sim.faults(modes=list(ALL_MODES), rate=0.3, slow_seconds=0.3, max_consecutive=2, moving_minutes=30)
    start = sim.clock()
    results = _results(extract(cfg=sim.config(module_db)))
    counts = sim.faults()["counts"]
    assert {"rate_limit", "server_error", "garbled", "malformed", "duplicates"} <= set(counts), counts

    # nothing that existed when the run started is lost: each record is there as that version or a later one
    with psycopg.connect(module_db) as conn:
        for table, versions in truth_at(sim.world, start).items():
            spec_keys = {"raw_onec.bonus_coefficients", "raw_onec.points", "raw_onec.duty_tariffs",
                         "raw_onec.service_tariffs"}
            key_len = 2 if table in spec_keys else 1
            keys = _spec(table).key_names
            have = {tuple(str(x) for x in r) for r in conn.execute(
                f"select distinct {', '.join(k + '::text' if k in ('ref_key', 'period') else k for k in keys)}"
                f" from {table}").fetchall()}
            missing = [v for v in versions if tuple(_txt(x) for x in v[:key_len]) not in have]
            assert not missing, f"{table}: records present at the start are missing: {missing[:5]}"

    # every injected malformed row is a reject with a reason, and never a raw row
    injected = sim.injected()
    assert injected
    with psycopg.connect(module_db) as conn:
        for item in injected:
            entity = ONEC_ENTITY.get(item["entity"], item["entity"])
            rows = conn.execute(
                f"select reason, raw_text from {REJECT_TABLE[item['source']]} where entity = %s"
                " and (source_key = %s or (%s::text is null and source_key is null) or raw_text like %s)",
                (entity, None if item["key"] is None else str(item["key"]), None if item["key"] is None else "x",
                 f"%{item['key']}%" if item["key"] is not None else "%"),
            ).fetchall()
            assert rows, f"injected {item} is not in the rejects"
            assert all(r[0].startswith("field ") for r in rows), rows
        assert conn.execute("select count(*) from raw_helpdesk.issues where id >= 990000000").fetchone()[0] == 0

    # the clock crept while pages were read; once it stands still, a run converges to the truth
    sim.faults(modes=[m for m in ALL_MODES if m != "moving"])
    _results(extract(cfg=sim.config(module_db)))
    raw_matches_truth(module_db, sim.world, sim.clock())
    assert sum(r.rows_rejected for r in results) > 0


def _txt(value) -> str:
    return value.isoformat(sep=" ") if hasattr(value, "isoformat") else str(value)
