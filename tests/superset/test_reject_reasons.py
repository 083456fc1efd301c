"""Every kind of reject reason the extractors write has a Russian name on the data-quality
dashboard: the reasons are produced by the extractors' own code (pydantic validation of each
JSON source's models, the registry workbook reader), written into raw_<source>.rejects as the
extractors create it, and read back through dbt's stg_meta__rejects and bi_rejects."""

from __future__ import annotations

import hashlib
import inspect
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from extractors.common.raw import schema_ddl
from extractors.common.validate import split_records
from extractors.helpdesk import models as helpdesk_models
from extractors.onec import models as onec_models
from extractors.registry.workbook import EQUIPMENT, SITES, read_sheet
from extractors.schedule import models as schedule_models
from tools.testdb import create_database, drop_database
from warehouse import connect, dbt_env

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("helpdesk", "schedule", "onec", "registry")
# values no field accepts for every type: text for numbers, dates, UUIDs and codes, an object
# for text, a list, a boolean, a negative fraction, a naive timestamp, an out-of-range date
BAD_VALUES: list[Any] = ["??", {"x": 1}, [1, 2], True, -1.5, "2026-13-45T25:61:00", "2026-11-01T10:00:00", 10**20]


def _models(module: Any) -> list[type[BaseModel]]:
    return [obj for _, obj in inspect.getmembers(module, inspect.isclass)
            if issubclass(obj, BaseModel) and obj is not BaseModel and obj.__module__ == module.__name__]


def json_source_reasons(module: Any) -> set[str]:
    """Each problem a record of a JSON source can be rejected with (a record with only that
    problem is rejected with exactly this text)."""
    reasons = set()
    for model in _models(module):
        payloads: list[Any] = [{}, [1, 2], "text"]
        payloads += [{name: bad} for name in model.model_fields for bad in BAD_VALUES]
        _, rejects, _ = split_records(model.__name__, payloads, model, lambda d: (), ["id"])
        for reject in rejects:
            reasons.update(reject.reason.split("; "))
    return reasons


def future_reasons() -> set[str]:
    """A shift the source dates after the run's start (its clock ahead of ours)."""
    shift = {"id": "6f1c1a52-0000-4000-8000-000000000001", "personnel_no": "E001", "email": None, "shift_type": "day",
             "planned_start": "2026-11-02T09:00:00", "planned_end": "2026-11-02T18:00:00", "actual_start": None,
             "actual_end": None, "status": "planned", "updated_at": "2099-01-01T00:00:00", "deleted": False}
    _, rejects, _ = split_records("shifts", [shift], schedule_models.Shift, lambda d: (), ["id"],
                                  future_after=datetime(2026, 12, 8, tzinfo=UTC))
    assert len(rejects) == 1
    return {rejects[0].reason}


def registry_reasons() -> set[str]:
    sites = [
        tuple(c.header for c in SITES.columns),
        ("S-1", "7701000001", "Склад", "Москва", "Москва", "55,7", "37,6", "100", "E001"),
        (None, "7701000001", "Без кода", None, None, None, None, None, None),  # the key is blank
        ("S-1", None, "Тот же код", None, None, None, None, None, None),  # the key again
        ("S-2", None, None, None, None, "55,7,1", None, None, None),  # not a number
        ("S-3", None, None, None, None, True, None, None, None),
        ("S-4", None, None, None, None, "Infinity", None, None, None),
        ("S-5", "123", None, None, None, None, None, None, None),  # INN
    ]
    equipment = [
        tuple(c.header for c in EQUIPMENT.columns),
        ("SN-1", "S-1", None, None, None, "31.02.2026", None),
        ("SN-2", "S-1", None, None, None, 0, None),
    ]
    reasons = set()
    for spec, rows in ((SITES, sites), (EQUIPMENT, equipment)):
        reasons.update(r.reason for r in read_sheet(rows, spec).rejects)
    return reasons


def extractor_reasons() -> dict[str, set[str]]:
    return {
        "helpdesk": json_source_reasons(helpdesk_models) | {
            # extractors/helpdesk/extract.py: the time entries of an issue could not be read
            "time entries of issue 53106: HTTP 500 from GET /api/v1/issues/53106/time_entries",
        },
        "onec": json_source_reasons(onec_models),
        "schedule": json_source_reasons(schedule_models) | future_reasons(),
        "registry": registry_reasons(),
    }


@pytest.fixture(scope="module")
def rejects_db(warehouse_server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The reasons in the extractors' rejects tables, then dbt's views over them."""
    url = create_database(warehouse_server_url, prefix="t_rejects")
    try:
        with connect(url) as conn:
            for source in SOURCES:
                conn.execute(schema_ddl(source))
            for source, reasons in extractor_reasons().items():
                for reason in sorted(reasons):
                    conn.execute(
                        f"insert into raw_{source}.rejects (entity, source_key, reason, raw_text, _reject_hash, _load_id)"
                        " values ('test', null, %s, '{}', %s, 1)",
                        (reason, hashlib.sha256(reason.encode()).hexdigest()))
            conn.commit()
        project = ROOT / "dbt_project"
        done = subprocess.run(
            [str(Path(sys.executable).parent / "dbt"), "run", "--quiet", "--project-dir", str(project),
             "--profiles-dir", str(project), "--target-path", str(tmp_path_factory.mktemp("dbt_target")),
             "--select", "stg_meta__rejects", "dim_codes", "bi_rejects"],
            env={**os.environ, **dbt_env(url), "DBT_SEND_ANONYMOUS_USAGE_STATS": "False"},
            capture_output=True, text=True, timeout=600, check=False,
        )
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
        yield url
    finally:
        drop_database(url)


def test_the_extractors_write_every_kind_of_reason():
    """The inputs above reach each branch of the extractors' reject texts."""
    text = "\n".join(r for reasons in extractor_reasons().values() for r in reasons)
    for fragment in ("Field required", "not a JSON object", "Input should be '", "valid datetime", "valid integer",
                     "the key is blank", "is already on row", "expected a number", "expected a date",
                     "expected an INN", "time entries of issue", "dated in the future"):
        assert fragment in text, fragment


def test_every_reason_the_extractors_write_has_a_russian_name(rejects_db):
    with connect(rejects_db) as conn:
        rows = conn.execute("select reason, reason_code, reason_name, reason_field from bi.bi_rejects").fetchall()
    assert len(rows) == sum(len(r) for r in extractor_reasons().values())
    unnamed = [(reason, code) for reason, code, _, _ in rows if code == "other"]
    assert unnamed == []
    assert all(name and any("а" <= ch <= "я" for ch in name.lower()) for _, _, name, _ in rows)
    by_code = {code: name for _, code, name, _ in rows}
    assert by_code["missing_field"] == "Нет обязательного поля"
    assert by_code["blank_value"] == "Не заполнено обязательное значение"
    assert by_code["not_a_number"] == "Не число"
    assert by_code["future_dated"] == "Дата изменения в будущем"
    # the field or registry column the reason names, for the table's «Поле»
    fields = {reason: field for reason, _, _, field in rows}
    assert fields["sheet 'Объекты', row 5: column 'Широта': expected a number (decimal comma or point), got '55,7,1'"] \
        == "Широта"
    assert any(field == "personnel_no" for reason, field in fields.items() if "Field required" in reason)
