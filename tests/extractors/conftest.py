"""Extractor test fixtures: a real simulator server over a tiny world, and raw-vs-truth checks.

Helpers are exposed as fixtures (this folder is not a package: `extractors` is the real one).
"""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from extractors.common.settings import RetrySettings
from extractors.helpdesk.settings import HelpdeskSettings
from extractors.onec.settings import OnecSettings
from extractors.registry.settings import RegistrySettings
from extractors.run import ExtractConfig
from extractors.schedule.settings import ScheduleSettings
from source_simulator.truth import truth_frames
from tools.simulator_server import running_server

FAST_RETRY = RetrySettings(
    attempts=12, total_timeout_s=60, wait_initial_s=0.01, wait_max_s=0.2, wait_jitter_s=0.01,
    max_retry_after_s=0.05, http_timeout_s=20, concurrency=4,
)


@pytest.fixture(scope="session")
def extract_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny world (seed 42), generated once for the extractor tests."""
    from source_simulator.generator import generate

    out = tmp_path_factory.mktemp("extract_tiny")
    return generate("tiny", out=out).path


@dataclass
class Sim:
    base: str
    world: Path

    def clock(self) -> str:
        return httpx.get(f"{self.base}/_sim/clock").json()["now"]

    def advance_days(self, days: float) -> str:
        r = httpx.post(f"{self.base}/_sim/clock", json={"advance_days": days})
        r.raise_for_status()
        return self.clock()

    def faults(self, **config: Any) -> dict[str, Any]:
        r = httpx.post(f"{self.base}/_sim/faults", json=config)
        r.raise_for_status()
        return httpx.get(f"{self.base}/_sim/faults").json()

    def injected(self) -> list[dict[str, Any]]:
        return httpx.get(f"{self.base}/_sim/faults/injected").json()

    def config(self, db_url: str, **overrides: Any) -> ExtractConfig:
        return ExtractConfig(
            db_url=db_url,
            helpdesk=overrides.pop("helpdesk", None) or HelpdeskSettings(url=f"{self.base}/helpdesk"),
            schedule=ScheduleSettings(url=f"{self.base}/schedule"),
            onec=OnecSettings(url=f"{self.base}/onec"),
            registry=RegistrySettings(path=f"{self.base}/registry.xlsx"),
            retry=overrides.pop("retry", FAST_RETRY),
            **overrides,
        )


@pytest.fixture(scope="module")
def sim(extract_world: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sim]:
    """A simulator server of its own per test module (the clock and faults are per server)."""
    world = tmp_path_factory.mktemp("world") / "world.sqlite"
    shutil.copy(extract_world, world)
    with running_server(world) as base:
        yield Sim(base, world)


# ---------------------------------------------------------------------------------- truth
def _ts(text: str | None) -> datetime | None:
    if not text:
        return None
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


# raw table -> (truth table, key columns in truth, version column in truth, raw SQL of key + version)
VERSIONS: dict[str, tuple[str, Callable[[dict], tuple], str]] = {
    "raw_helpdesk.issues": ("hd_issues", lambda r: (r["id"], _ts(r["updated_at"])),
                            "select id, updated_at from {t}"),
    "raw_helpdesk.status_history": ("hd_status_history", lambda r: (r["id"], _ts(r["updated_at"])),
                                    "select id, updated_at from {t}"),
    "raw_helpdesk.time_entries": ("hd_time_entries", lambda r: (r["id"], _ts(r["updated_at"])),
                                  "select id, updated_at from {t}"),
    "raw_helpdesk.employees": ("hd_employees", lambda r: (r["id"],), "select id from {t}"),
    "raw_helpdesk.companies": ("hd_companies", lambda r: (r["id"],), "select id from {t}"),
    "raw_helpdesk.maintenance_entities": ("hd_sites", lambda r: (r["id"], _ts(r["updated_at"])),
                                          "select id, updated_at from {t}"),
    "raw_helpdesk.equipments": ("hd_equipment", lambda r: (r["id"],), "select id from {t}"),
    "raw_schedule.shifts": ("sch_shifts", lambda r: (r["id"], _ts(r["updated_at"]), bool(r["deleted"])),
                            "select id, updated_at, deleted from {t}"),
    "raw_onec.employees": ("onec_employees", lambda r: (r["ref_key"], r["data_version"]),
                           "select ref_key::text, data_version from {t}"),
    "raw_onec.clients": ("onec_clients", lambda r: (r["ref_key"], r["data_version"]),
                         "select ref_key::text, data_version from {t}"),
    "raw_onec.contracts": ("onec_contracts", lambda r: (r["ref_key"], r["data_version"]),
                           "select ref_key::text, data_version from {t}"),
    "raw_onec.sales": ("onec_sales", lambda r: (r["ref_key"], r["data_version"]),
                       "select ref_key::text, data_version from {t}"),
    "raw_onec.bonus_coefficients": ("onec_bonus_coefficients", lambda r: (_naive(r["period"]), r["code"]),
                                    "select period, code from {t}"),
    "raw_onec.points": ("onec_points", lambda r: (_naive(r["period"]), r["work_type"]),
                        "select period, work_type from {t}"),
    "raw_onec.duty_tariffs": ("onec_duty_tariffs", lambda r: (_naive(r["period"]), r["shift_type"]),
                              "select period, shift_type from {t}"),
    "raw_onec.service_tariffs": ("onec_service_tariffs", lambda r: (_naive(r["period"]), r["work_type"]),
                                 "select period, work_type from {t}"),
    "raw_registry.sites": ("reg_sites", lambda r: (r["site_code"],), "select site_code from {t}"),
    "raw_registry.equipment": ("reg_equipment", lambda r: (r["serial_number"],), "select serial_number from {t}"),
}


def _naive(text: str) -> datetime:
    value = datetime.fromisoformat(text if len(text) > 10 else text + "T00:00:00")
    return value.replace(tzinfo=None, microsecond=0)


def _norm(row: tuple) -> tuple:
    return tuple(v.replace(tzinfo=None) if isinstance(v, datetime) and v.tzinfo is None else v for v in row)


def current_raw(conn: psycopg.Connection, table: str) -> list[tuple]:
    """The latest non-vanished version of every key (what staging would take), key + version."""
    spec = _spec(table)
    keys = ", ".join(spec.key_names)
    select = VERSIONS[table][2].format(t="latest")
    sql = (f"with latest as (select distinct on ({keys}) * from {table} order by {keys}, _load_id desc)"
           f" {select} where _vanished_at is null")
    return [_norm(tuple(r)) for r in conn.execute(sql).fetchall()]


def _spec(table: str):
    from extractors.run import ALL_SPECS

    return next(s for s in ALL_SPECS if f"{s.schema}.{s.table}" == table)


def truth_versions(world: Path, now: str) -> dict[str, list[tuple]]:
    frames = truth_frames(world, now)
    return {raw: [v(r) for r in frames[truth]] for raw, (truth, v, _) in VERSIONS.items()}


def assert_raw_matches_truth(db_url: str, world: Path, now: str, tables: list[str] | None = None) -> None:
    """Every truth record is in raw as its current version, once; raw has nothing else current."""
    truth = truth_versions(world, now)
    problems = []
    with psycopg.connect(db_url) as conn:
        for table in tables or list(VERSIONS):
            want = Counter(truth[table])
            got = Counter(current_raw(conn, table))
            if want != got:
                missing = list((want - got).elements())[:5]
                extra = list((got - want).elements())[:5]
                problems.append(f"{table}: truth {sum(want.values())}, raw {sum(got.values())};"
                                f" missing {missing}; unexpected {extra}")
            dupes = conn.execute(
                f"select count(*) - count(distinct ({', '.join(_spec(table).key_names)}, _payload_hash, _load_id))"
                f" from {table}").fetchone()[0]
            if dupes:
                problems.append(f"{table}: {dupes} duplicate rows within a load")
            if not _spec(table).full_reload:
                dup_versions = conn.execute(
                    f"select count(*) - count(distinct ({', '.join(_spec(table).key_names)}, _payload_hash))"
                    f" from {table}").fetchone()[0]
                if dup_versions:
                    problems.append(f"{table}: {dup_versions} versions stored twice")
    assert not problems, "raw differs from the truth as of " + now + ":\n" + "\n".join(problems)


@pytest.fixture
def raw_matches_truth():
    return assert_raw_matches_truth


def entity_counts(db_url: str) -> dict[str, int]:
    with psycopg.connect(db_url) as conn:
        return {t: conn.execute(f"select count(*) from {t}").fetchone()[0] for t in VERSIONS}


@pytest.fixture
def raw_counts():
    return entity_counts


@pytest.fixture
def truth_at():
    return truth_versions
