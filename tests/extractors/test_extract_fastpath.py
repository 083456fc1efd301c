"""The fast paths give the same answers as the slow ones they replace.

* page validation (`validate_rows`: the models' compiled schemas as typed dicts) accepts exactly
  what `Model.model_validate` accepts, with the same field values, and a page with one bad row
  still yields every good row;
* the COPY block (`RawRecord.copy_line`) carries the canonical payload text and the sha256 of
  `payload_hash()`, and PostgreSQL reads back the same values as from psycopg's own `write_row`.

(The HTTP client's own tests: test_extract_http.py.)
"""

from __future__ import annotations

import copy
import hashlib
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from uuid import UUID

import psycopg
import pytest
from pydantic import BaseModel

from extractors.common.raw import RawRecord, canonical_json
from extractors.common.validate import _validator, split_records, validate_rows
from extractors.helpdesk import models as hm
from extractors.onec import models as om
from extractors.schedule import models as sm
from warehouse import libpq_url

ISSUE = {
    "id": 17, "title": "Не работает \\ контроллер\t", "created_at": "2024-11-01T07:41:21.582+03:00",
    "updated_at": "2024-11-01T11:23:17.805+03:00", "completed_at": None, "deadline_at": "2024-11-01T15:41:21+03:00",
    "planned_reaction_at": None, "reacted_at": None, "delayed_to": None, "source": "monitoring", "company_id": 23,
    "service_object_id": 189, "equipment_ids": [1524], "parent_id": None,
    "assignee": {"id": 34, "name": "Мельников"}, "group_id": 4,
    "type": {"code": "emergency_repair", "name": "Аварийный ремонт"}, "priority": {"code": "high", "name": "В"},
    "status": {"code": "completed", "name": "Решена"}, "rate": None,
    "parameters": [{"code": "complexity", "name": "Сложность", "field_type": "ftselect", "value": "2"}],
}
STATUS = {"id": 1, "issue_id": 1, "status": {"code": "opened"}, "changed_at": "2024-10-31T22:46:39.614+03:00",
          "author": None, "updated_at": "2024-10-31T22:46:39.614+03:00"}
ENTRY = {"id": 1, "issue_id": 1, "spent_time": 0.75, "logged_at": "2024-11-01T01:08:30.024+03:00",
         "updated_at": None, "employee": {"id": 4, "login": "x"}, "comment": "Дорога",
         "parameters": [{"code": "activity", "value": "travel"}]}
SHIFT = {"id": "0b7e7a9e-1c7e-4a38-9a55-0f3c2b6f9d11", "personnel_no": "0042", "email": None, "shift_type": "day",
         "planned_start": "2024-11-01T06:00:00Z", "planned_end": "2024-11-01T18:00:00Z", "actual_start": None,
         "actual_end": None, "status": "planned", "updated_at": "2024-10-20T10:00:00Z", "deleted": False}
CONTRACT = {"Ref_Key": "6f1c1a52-8c1e-4b7a-9f55-5d7a6c1b2e3f", "DataVersion": "AAAA", "DeletionMark": False,
            "Owner_Key": "7f1c1a52-8c1e-4b7a-9f55-5d7a6c1b2e3f", "ДатаНачала": "2024-01-01T00:00:00",
            "ДатаОкончания": "0001-01-01T00:00:00", "АбонентскаяПлата": 1000, "ВключеноЧасов": "10",
            "СтавкаСверхЛимита": 1500.5}


def _damaged(record: dict[str, Any]) -> list[Any]:
    """Copies of `record` with one thing wrong each (and a few that are still fine)."""
    out: list[Any] = [None, 42, "text", [record]]
    for key in record:
        for value in (None, "31-02-2026 25:61", "maybe", {"code": "sim_unknown"}, [], 1.5, "1", True):
            bad = copy.deepcopy(record)
            bad[key] = value
            out.append(bad)
        missing = copy.deepcopy(record)
        missing.pop(key)
        out.append(missing)
    out.append({**record, "extra_field": {"nested": [1, 2]}})
    return out


@pytest.mark.parametrize(("model", "record"), [
    (hm.Issue, ISSUE), (hm.StatusChange, STATUS), (hm.TimeEntry, ENTRY), (hm.Employee, {"id": 1, "active": True}),
    (hm.MaintenanceEntity, {"id": 3, "coordinates": [55.7, 37.6], "updated_at": "2024-01-01T00:00:00+03:00"}),
    (sm.Shift, SHIFT), (om.Contract, CONTRACT),
])
def test_page_validation_accepts_what_the_model_accepts(model: type[BaseModel], record: dict[str, Any]) -> None:
    assert _validator(model).dicts is not None  # the one-call typed-dict path applies to this model
    items = [record, *_damaged(record)]
    fast = validate_rows(items, model)
    assert fast[0] is not None  # the page held errors: fell back row by row, the good row survives
    for item, got in zip(items, fast, strict=True):
        try:
            expected = model.model_validate(item).model_dump() if isinstance(item, dict) else None
        except ValueError:
            expected = None
        assert got == expected, item
    clean = validate_rows([record] * 3, model)  # the one-call path
    assert clean == [model.model_validate(record).model_dump()] * 3


def test_split_records_rejects_with_the_models_reason() -> None:
    bad = {**STATUS, "id": 990000001, "changed_at": "31-02-2026 25:61"}
    good, rejects, fields = split_records("status_history", [STATUS, bad, "x"], hm.StatusChange,
                                          lambda o: (o["id"], o["issue_id"], o["updated_at"]), ["id"])
    assert [r.values[0] for r in good] == [1] and fields[0]["status"] == {"code": "opened", "name": None}
    assert [r.source_key for r in rejects] == ["990000001", None]
    assert "field 'changed_at'" in rejects[0].reason and "not a JSON object" in rejects[1].reason


def test_copy_line_matches_canonical_payload_and_hash() -> None:
    rec = RawRecord((17, datetime(2024, 11, 1, 11, 23, tzinfo=UTC), None, True, "a\tb\\c"), ISSUE)
    line = rec.copy_line()
    fields = line.split(b"\t")
    assert fields[:5] == [b"17", b"2024-11-01T11:23:00+00:00", b"\\N", b"t", b"a\\tb\\\\c"]
    assert fields[5].replace(b"\\\\", b"\\") == canonical_json(ISSUE).encode()
    assert fields[6].decode() == rec.payload_hash() == hashlib.sha256(canonical_json(ISSUE).encode()).hexdigest()
    with_hash = RawRecord((1,), {"a": 1, "b": 2}, hash_payload={"a": 1})
    assert with_hash.copy_line().split(b"\t")[2].decode() == with_hash.payload_hash()


def test_copy_block_reads_back_like_write_row(module_db: str) -> None:
    tz = timezone(timedelta(hours=3))
    values = [
        (1, datetime(2024, 1, 1, 10, 0, 0, 123000, tzinfo=tz), True, "x\ny\\z\tw", Decimal("1.50"),
         UUID("6f1c1a52-8c1e-4b7a-9f55-5d7a6c1b2e3f"), datetime(2024, 1, 1, 3, 0)),
        (2, None, False, None, None, None, None),
    ]
    records = [RawRecord(v, {"k": i, "s": "кириллица \\ \" \u2028 \t", "n": None}) for i, v in enumerate(values)]
    cols = "a bigint, b timestamptz, c boolean, d text, e numeric, f uuid, g timestamp, payload jsonb, h text, seq bigint"
    with psycopg.connect(libpq_url(module_db), autocommit=True) as conn:
        conn.execute(f"create temporary table t_fast ({cols}); create temporary table t_slow ({cols})")
        with conn.cursor() as cur:
            with cur.copy("copy t_fast from stdin") as cp:
                cp.write(b"".join(b"%b%d\n" % (r.copy_line(), n) for n, r in enumerate(records)))
            with cur.copy("copy t_slow from stdin") as cp:
                for n, r in enumerate(records):
                    text = r.payload_json()
                    cp.write_row((*r.values, text, r.payload_hash(text), n))
        fast = conn.execute("select * from t_fast order by seq").fetchall()
        slow = conn.execute("select * from t_slow order by seq").fetchall()
    assert fast == slow
    assert fast[0][3] == "x\ny\\z\tw" and fast[0][7]["s"] == records[0].payload["s"]

