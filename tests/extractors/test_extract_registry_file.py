"""REGISTRY_PATH as a file: full reloads keep vanished records as facts and notice their return."""

from __future__ import annotations

import io
from pathlib import Path

import psycopg
from openpyxl import Workbook

from extractors.registry.settings import RegistrySettings
from extractors.run import ExtractConfig, extract

HEADER = ["Код объекта", "ИНН клиента", "Название", "Адрес", "Регион", "Широта", "Долгота", "Площадь, м2",
          "Табельный № инженера"]


def _write(path: Path, codes: list[str], name_of: dict[str, str] | None = None) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "Объекты"
    ws.append(["Реестр объектов"])
    ws.append(HEADER)
    for code in codes:
        ws.append([code, "7701234567", (name_of or {}).get(code, f"Объект {code}"), None, "Москва", "55,75", "37,61",
                   None, None])
    eq = wb.create_sheet("Оборудование")
    eq.append(["Серийный №", "Код объекта", "Тип", "Производитель", "Модель", "Дата ввода", "Табельный № инженера"])
    buf = io.BytesIO()
    wb.save(buf)
    path.write_bytes(buf.getvalue())


def _run(db: str, path: Path):
    results = extract(sources=["registry"], entities=["sites"],
                      cfg=ExtractConfig(db_url=db, registry=RegistrySettings(path=str(path))))
    assert all(getattr(r, "ok", False) for r in results), results
    return results[0]


def _current(db: str) -> dict[str, str]:
    with psycopg.connect(db) as conn:
        rows = conn.execute(
            "select distinct on (site_code) site_code, payload->>'Название', _vanished_at is not null"
            " from raw_registry.sites order by site_code, _load_id desc").fetchall()
    return {code: name for code, name, vanished in rows if not vanished}


def test_vanished_site_is_kept_as_a_fact_and_its_return_and_changes_are_versions(fresh_db, tmp_path):
    book = tmp_path / "registry.xlsx"
    codes = [f"MSK-{i:04d}" for i in range(1, 13)]
    _write(book, codes)
    assert _run(fresh_db, book).rows_inserted == 12

    _write(book, codes[1:], {"MSK-0002": "Склад (переименован)"})
    second = _run(fresh_db, book)
    assert (second.rows_inserted, second.rows_vanished) == (1, 1)
    assert "MSK-0001" not in _current(fresh_db) and _current(fresh_db)["MSK-0002"] == "Склад (переименован)"

    _write(book, codes)  # it comes back, and the rename is undone (A -> B -> A)
    third = _run(fresh_db, book)
    assert (third.rows_inserted, third.rows_vanished) == (2, 0)
    assert _current(fresh_db)["MSK-0002"] == "Объект MSK-0002" and "MSK-0001" in _current(fresh_db)
    with psycopg.connect(fresh_db) as conn:
        assert conn.execute("select count(*) from raw_registry.sites").fetchone()[0] == 12 + 2 + 2


def test_missing_registry_file_is_a_clear_error(fresh_db, tmp_path):
    results = extract(sources=["registry"], entities=["sites"],
                      cfg=ExtractConfig(db_url=fresh_db, registry=RegistrySettings(path=str(tmp_path / "nope.xlsx"))))
    assert isinstance(results[0], FileNotFoundError)
    assert "REGISTRY_PATH" in str(results[0]) and "nope.xlsx" in str(results[0])


def test_a_second_extraction_of_the_same_entity_is_refused_while_one_runs(fresh_db, tmp_path):
    from extractors.common.loads import EntityBusy
    from extractors.run import ensure_schema

    book = tmp_path / "registry.xlsx"
    _write(book, ["MSK-0001"])
    ensure_schema(fresh_db)
    with psycopg.connect(fresh_db, autocommit=True) as holder:
        holder.execute("select pg_advisory_lock(hashtext('extract:registry.sites'))")
        results = extract(sources=["registry"], entities=["sites"],
                          cfg=ExtractConfig(db_url=fresh_db, registry=RegistrySettings(path=str(book))))
    assert isinstance(results[0], EntityBusy) and "registry.sites" in str(results[0])


def test_cli_names_an_unknown_source(fresh_db):
    import os
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "extractors", "run", "--source", "crm"], capture_output=True,
                          text=True, env={**os.environ, "WAREHOUSE_URL": fresh_db})
    assert proc.returncode == 2
    assert "unknown source 'crm'" in proc.stderr and "helpdesk" in proc.stderr
