"""Nightly full reloads that change nothing cost nothing, and lose nothing.

* The registry workbook: conditional GET (the simulator's weak ETag / Last-Modified -> 304), a
  file's sha256; an unchanged workbook is a successful load that inserts and vanishes nothing,
  a changed one is read again, and a site that vanishes after such a run is still detected.
* Help-desk dictionaries read by parallel id ranges: exactly the truth, every key once.
"""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import httpx
import psycopg
import pytest
from openpyxl import Workbook

from extractors.helpdesk.settings import HelpdeskSettings
from extractors.registry.extract import READER_VERSION, Validator
from extractors.registry.settings import RegistrySettings
from extractors.run import ExtractConfig, extract

REGISTRY = ["raw_registry.sites", "raw_registry.equipment"]
DICTIONARIES = ["employees", "companies", "maintenance_entities", "equipments"]


def _ok(results) -> list:
    assert all(getattr(r, "ok", False) for r in results), results
    return results


def _last_loads(db: str, source: str) -> dict[str, tuple]:
    with psycopg.connect(db) as conn:
        rows = conn.execute(
            "select distinct on (entity) entity, status, rows_seen, rows_inserted, rows_vanished, cursor_after"
            " from raw_meta.loads where source = %s order by entity, load_id desc", (source,)).fetchall()
    return {r[0]: r[1:] for r in rows}


# ------------------------------------------------------------------ the simulator's workbook
def test_simulator_workbook_answers_304_to_its_validators(sim):
    first = httpx.get(f"{sim.base}/registry.xlsx", timeout=60)
    assert first.status_code == 200 and first.content
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert etag.startswith('W/"')
    again = httpx.get(f"{sim.base}/registry.xlsx", headers={"If-None-Match": etag}, timeout=60)
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    strong = etag.removeprefix("W/")  # weak comparison
    assert httpx.get(f"{sim.base}/registry.xlsx", headers={"If-None-Match": strong}).status_code == 304
    assert httpx.get(f"{sim.base}/registry.xlsx", headers={"If-Modified-Since": modified}).status_code == 304
    head = httpx.head(f"{sim.base}/registry.xlsx")
    assert head.status_code == 200 and head.headers["etag"] == etag and head.content == b""
    stale = httpx.get(f"{sim.base}/registry.xlsx", headers={"If-None-Match": '"something-else"'}, timeout=60)
    assert stale.status_code == 200 and stale.headers["etag"] == etag


def test_unchanged_workbook_is_a_304_load_and_a_changed_one_is_read_again(sim, fresh_db, raw_matches_truth):
    cfg = sim.config(fresh_db)
    _ok(extract(["registry"], None, cfg))
    loads = _last_loads(fresh_db, "registry")
    for entity in ("sites", "equipment"):
        status, seen, inserted, vanished, cursor = loads[entity]
        assert status == "success" and seen > 0 and inserted > 0
        assert json.loads(cursor)["etag"].startswith('W/"')
    raw_matches_truth(fresh_db, sim.world, sim.clock(), REGISTRY)
    with psycopg.connect(fresh_db) as conn:
        rows_before = conn.execute("select count(*) from raw_registry.sites").fetchone()[0]

    # a day later the registry has not changed (the title's date has): 304, nothing read
    sim.advance_days(1)
    _ok(extract(["registry"], None, cfg))
    loads = _last_loads(fresh_db, "registry")
    for entity in ("sites", "equipment"):
        status, seen, inserted, vanished, cursor = loads[entity]
        assert (status, seen, inserted, vanished) == ("success", 0, 0, 0), (entity, loads[entity])
    with psycopg.connect(fresh_db) as conn:
        assert conn.execute("select count(*) from raw_registry.sites").fetchone()[0] == rows_before
    raw_matches_truth(fresh_db, sim.world, sim.clock(), REGISTRY)

    # the tiny world's registry changes on 2026-11-20: the workbook is read again
    etag = json.loads(loads["sites"][4])["etag"]
    sim.advance_days(20)
    assert httpx.get(f"{sim.base}/registry.xlsx", headers={"If-None-Match": etag}, timeout=60).status_code == 200
    _ok(extract(["registry"], None, cfg))
    loads = _last_loads(fresh_db, "registry")
    assert loads["sites"][1] > 0 and loads["equipment"][1] > 0
    assert loads["sites"][2] + loads["equipment"][2] + loads["sites"][3] + loads["equipment"][3] > 0
    raw_matches_truth(fresh_db, sim.world, sim.clock(), REGISTRY)


def test_conditional_off_reads_the_workbook_every_time(sim, fresh_db):
    cfg = sim.config(fresh_db)
    cfg.registry = RegistrySettings(path=f"{sim.base}/registry.xlsx", conditional=False)
    _ok(extract(["registry"], ["sites"], cfg))
    _ok(extract(["registry"], ["sites"], cfg))
    assert _last_loads(fresh_db, "registry")["sites"][1] > 0


# ------------------------------------------------------------------ a workbook of our own (ETag server)
HEADER = ["Код объекта", "ИНН клиента", "Название", "Адрес", "Регион", "Широта", "Долгота", "Площадь, м2",
          "Табельный № инженера"]


def _book(codes: list[str]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "Объекты"
    ws.append(HEADER)
    for code in codes:
        ws.append([code, "7701234567", f"Объект {code}", None, "Москва", "55,75", "37,61", None, None])
    wb.create_sheet("Оборудование").append(["Серийный №", "Код объекта", "Тип", "Производитель", "Модель",
                                            "Дата ввода", "Табельный № инженера"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


class EtagServer:
    """A file server's conditional GET over a workbook the test replaces."""

    def __init__(self, body: bytes):
        self.body = body
        self.answers: list[int] = []

    def etag(self) -> str:
        return '"' + hashlib.sha256(self.body).hexdigest()[:20] + '"'

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.headers.get("if-none-match") == self.etag():
            self.answers.append(304)
            return httpx.Response(304, headers={"ETag": self.etag()})
        self.answers.append(200)
        return httpx.Response(200, content=self.body, headers={"ETag": self.etag()})


def _sites(db: str) -> set[str]:
    with psycopg.connect(db) as conn:
        rows = conn.execute(
            "select distinct on (site_code) site_code, _vanished_at is not null from raw_registry.sites"
            " order by site_code, _load_id desc").fetchall()
    return {code for code, vanished in rows if not vanished}


def test_a_site_vanishing_after_a_304_run_is_still_detected(fresh_db):
    codes = [f"MSK-{i:04d}" for i in range(1, 13)]
    server = EtagServer(_book(codes))
    cfg = ExtractConfig(db_url=fresh_db, registry=RegistrySettings(path="http://registry.test/registry.xlsx"),
                        transport=lambda source: httpx.MockTransport(server))

    def run():
        return _ok(extract(["registry"], ["sites"], cfg))[0]

    assert run().rows_inserted == 12 and server.answers == [200]
    unchanged = run()
    assert server.answers == [200, 304]
    assert (unchanged.rows_seen, unchanged.rows_inserted, unchanged.rows_vanished) == (0, 0, 0)
    assert _sites(fresh_db) == set(codes)

    server.body = _book(codes[1:])  # MSK-0001 is gone
    changed = run()
    assert server.answers == [200, 304, 200]
    assert (changed.rows_inserted, changed.rows_vanished) == (0, 1)
    assert _sites(fresh_db) == set(codes[1:])
    assert run().rows_vanished == 0 and server.answers[-1] == 304


def test_a_file_with_the_same_content_is_not_read_again(fresh_db, tmp_path: Path):
    book = tmp_path / "registry.xlsx"
    book.write_bytes(_book(["MSK-0001", "MSK-0002"]))
    cfg = ExtractConfig(db_url=fresh_db, registry=RegistrySettings(path=str(book)))
    assert _ok(extract(["registry"], ["sites"], cfg))[0].rows_inserted == 2
    again = _ok(extract(["registry"], ["sites"], cfg))[0]
    assert (again.rows_seen, again.rows_inserted, again.rows_vanished) == (0, 0, 0)
    cursor = json.loads(_last_loads(fresh_db, "registry")["sites"][4])
    assert cursor["sha256"] == hashlib.sha256(book.read_bytes()).hexdigest() and cursor["size"] > 0
    book.write_bytes(_book(["MSK-0002"]))
    changed = _ok(extract(["registry"], ["sites"], cfg))[0]
    assert changed.rows_vanished == 1 and _sites(fresh_db) == {"MSK-0002"}


def test_a_workbook_read_by_another_reader_version_is_read_again():
    cursor = Validator(f"{READER_VERSION}/30", sha256="ab", etag='W/"x"').cursor()
    assert Validator.from_cursor(cursor, f"{READER_VERSION}/30") is not None
    assert Validator.from_cursor(cursor, f"{READER_VERSION}/31") is None
    assert Validator.from_cursor(cursor.replace(f'"{READER_VERSION}/', '"0/'), f"{READER_VERSION}/30") is None
    assert Validator.from_cursor("2026-11-01T00:00:00+00:00", "1/30") is None  # not ours: read


# ------------------------------------------------------------------ help-desk dictionaries by id ranges
@pytest.mark.parametrize("workers", [3, 4])
def test_dictionaries_read_by_parallel_id_ranges_equal_the_truth(sim, fresh_db, raw_matches_truth, workers,
                                                                  monkeypatch):
    from extractors.helpdesk.client import HelpdeskClient

    ranges: set[tuple[str, int | None, int | None]] = set()
    plain = HelpdeskClient.id_pages

    def recording(self, path, extra=None, check=None, *, after=None, upto=None):
        ranges.add((path, after, upto))
        return plain(self, path, extra, check, after=after, upto=upto)

    monkeypatch.setattr(HelpdeskClient, "id_pages", recording)
    # one-row pages: even the tiny world's 4 companies are split into ranges
    hd = HelpdeskSettings(url=f"{sim.base}/helpdesk", list_page_size=1, feed_workers=workers)
    cfg = sim.config(fresh_db, helpdesk=hd)
    tables = [f"raw_helpdesk.{e}" for e in DICTIONARIES]
    for _day in range(2):
        results = _ok(extract(["helpdesk"], DICTIONARIES, cfg))
        raw_matches_truth(fresh_db, sim.world, sim.clock(), tables)
        with psycopg.connect(fresh_db) as conn:
            for r in results:  # every key read once: nothing skipped, nothing read twice
                current = conn.execute(
                    f"select count(*) from (select distinct on (id) _vanished_at from raw_helpdesk.{r.entity}"
                    f" order by id, _load_id desc) x where _vanished_at is null").fetchone()[0]
                assert r.rows_seen == current, (r.entity, r.rows_seen, current)
        for entity in DICTIONARIES:  # each list was read by `workers` ranges, the last one open-ended
            mine = sorted((after or 0, upto or 1 << 62) for path, after, upto in ranges if path == f"/{entity}/list")
            assert len(mine) == workers and mine[-1][1] == 1 << 62, (entity, mine)
            assert all(mine[k][1] == mine[k + 1][0] for k in range(workers - 1)), mine  # contiguous
        ranges.clear()
        sim.advance_days(1)
