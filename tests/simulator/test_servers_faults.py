"""Faults on demand: each mode, determinism, and that a retried request always gets through."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest

from source_simulator.servers import sample_world
from source_simulator.servers.faults import MALFORMED_ID_BASE, MALFORMED_UUID_PREFIX
from source_simulator.store import as_of_clause
from tools.simulator_server import running_server

HD = {"api_token": "demo-helpdesk-token"}
SCHEDULE = {"Authorization": "Bearer demo-schedule-token"}
ONEC_AUTH = ("odata", "odata")
SALES = "/onec/odata/standard.odata/Document_%D0%A0%D0%B5%D0%B0%D0%BB%D0%B8%D0%B7%D0%B0%D1%86%D0%B8%D1%8F%D0%A2%D0%BE%D0%B2%D0%B0%D1%80%D0%BE%D0%B2%D0%A3%D1%81%D0%BB%D1%83%D0%B3"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return sample_world.build(tmp_path_factory.mktemp("faults") / "world.sqlite")


@pytest.fixture(scope="module")
def server(world: Path):
    with running_server(world) as base, httpx.Client(base_url=base, timeout=30) as client:
        yield client


@pytest.fixture
def sim(server: httpx.Client):
    """The server client; faults and clock are reset after each test."""
    yield server
    server.post("/_sim/faults", json={"modes": [], "rate": 0.2, "seed": 7, "slow_seconds": 3.0,
                                      "max_consecutive": 1, "moving_minutes": 30})
    server.post("/_sim/clock", json={"now": sample_world.NOW})


def faults(sim: httpx.Client, **config: object) -> dict:
    response = sim.post("/_sim/faults", json=config)
    assert response.status_code == 200, response.text
    return response.json()


def requests_of_each_source(sim: httpx.Client) -> list[httpx.Response]:
    return [sim.get("/helpdesk/api/v1/issues/list", params=HD),
            sim.get("/schedule/api/v1/shifts", headers=SCHEDULE),
            sim.get(SALES, params={"$format": "json"}, auth=ONEC_AUTH)]


def test_rate_limit_then_success_in_each_source_shape(sim: httpx.Client) -> None:
    faults(sim, modes=["rate_limit"], rate=1.0, retry_after=2)
    hd, sch, onec = requests_of_each_source(sim)
    for response in (hd, sch, onec):
        assert response.status_code == 429 and response.headers["retry-after"] == "2"
    assert isinstance(hd.json()["errors"], str)
    assert sch.json()["error"] == "rate_limited" and sch.json()["detail"]
    assert onec.json()["odata.error"]["message"]["lang"] == "ru"
    # the retry of each request gets through, with real data
    hd, sch, onec = requests_of_each_source(sim)
    assert [r.status_code for r in (hd, sch, onec)] == [200, 200, 200]
    assert len(hd.json()) == 50 and sch.json()["items"] and len(onec.json()["value"]) == 12
    assert sim.get("/_sim/faults").json()["counts"]["rate_limit"] == 3


def test_server_errors_then_success(sim: httpx.Client) -> None:
    faults(sim, modes=["server_error"], rate=1.0, max_consecutive=2)
    for response in requests_of_each_source(sim) + requests_of_each_source(sim):
        assert response.status_code in (500, 502, 503)
    assert [r.status_code for r in requests_of_each_source(sim)] == [200, 200, 200]
    # control endpoints and the workbook are never faulted
    assert sim.get("/_sim/health").status_code == 200
    assert sim.get("/registry.xlsx").status_code == 200


def test_garbled_bodies_are_not_json_and_the_retry_is(sim: httpx.Client) -> None:
    faults(sim, modes=["garbled"], rate=1.0)
    for response in requests_of_each_source(sim):
        assert response.status_code == 200
        with pytest.raises(ValueError):
            response.json()
    hd, sch, onec = requests_of_each_source(sim)
    assert len(hd.json()) == 50 and "items" in sch.json() and onec.json()["value"]


def test_slow_responses_time_clients_out(sim: httpx.Client) -> None:
    faults(sim, modes=["slow"], rate=1.0, slow_seconds=5)
    with pytest.raises(httpx.ReadTimeout):
        sim.get("/helpdesk/api/v1/issues/list", params=HD, timeout=0.5)
    retry = sim.get("/helpdesk/api/v1/issues/list", params=HD, timeout=30)
    assert retry.status_code == 200 and len(retry.json()) == 50


def test_faults_are_deterministic_for_a_seed(sim: httpx.Client) -> None:
    def run(seed: int) -> list[int]:
        faults(sim, modes=["rate_limit", "server_error"], rate=0.5, seed=seed)
        return [sim.get("/helpdesk/api/v1/issues/list", params={**HD, "page[number]": n % 4 + 1}).status_code
                for n in range(24)]

    first = run(11)
    assert run(11) == first
    assert set(first) > {200}  # some faults, some successes
    assert run(12) != first


def test_malformed_rows_are_extra_and_listed(sim: httpx.Client, world: Path) -> None:
    faults(sim, modes=["malformed"], rate=1.0)
    items: list[dict] = []
    for number in range(1, 20):
        page = sim.get("/helpdesk/api/v1/issues/list", params={**HD, "page[number]": number,
                                                               "page[size]": 50}).json()
        assert page
        items += page
        if len(page) < 51:  # every page carries one extra (injected) row
            break
    real = [i for i in items if "id" in i and i["id"] < MALFORMED_ID_BASE]
    bad = [i for i in items if "id" not in i or i["id"] >= MALFORMED_ID_BASE]
    assert sorted(i["id"] for i in real) == list(range(1, 121))  # nothing replaced, nothing lost
    assert len(bad) == 3
    injected = [i for i in sim.get("/_sim/faults/injected").json() if i["entity"] == "issues"]
    assert {i["key"] for i in injected} == {b.get("id") for b in bad}
    for row in bad:
        if "id" in row:
            kind = next(i["kind"] for i in injected if i["key"] == row["id"])
            assert (kind == "bad_timestamp" and row["updated_at"] == "31-02-2026 25:61") or (
                kind == "unknown_status" and row["status"]["code"] == "sim_unknown_status")
    # other sources: shifts and 1C get recognisable keys too
    shifts = sim.get("/schedule/api/v1/shifts", headers=SCHEDULE).json()["items"]
    conn = sqlite3.connect(world)
    n_shifts = conn.execute(f"select count(*) from sch_shifts where {as_of_clause()}",
                            {"now": sample_world.NOW}).fetchone()[0]
    assert len(shifts) == n_shifts + 1
    odd = [s for s in shifts if not str(s.get("id", MALFORMED_UUID_PREFIX)).startswith(MALFORMED_UUID_PREFIX[:8])]
    assert len(odd) == n_shifts
    sales = sim.get(SALES, params={"$format": "json"}, auth=ONEC_AUTH).json()["value"]
    assert len(sales) == 13


def test_duplicates_repeat_the_previous_page_end(sim: httpx.Client) -> None:
    faults(sim, modes=["duplicates"], rate=1.0)
    pages = []
    for number in range(1, 5):
        pages.append(sim.get("/helpdesk/api/v1/issues/list", params={**HD, "page[number]": number,
                                                                     "page[size]": 50}).json())
    assert [len(p) for p in pages] == [50, 51, 21, 0]
    assert pages[1][0] == pages[0][-1] and pages[2][0] == pages[1][-1]
    assert sorted({i["id"] for p in pages for i in p}) == list(range(1, 121))
    # id-paged lists and cursors too
    first = sim.get("/helpdesk/api/v1/employees/list", params={**HD, "page[size]": 2}).json()
    second = sim.get("/helpdesk/api/v1/employees/list",
                     params={**HD, "page[size]": 2, "page[from_id]": first[-1]["id"]}).json()
    assert second[0] == first[-1] and len(second) == 3
    a = sim.get("/schedule/api/v1/shifts", params={"limit": 5}, headers=SCHEDULE).json()
    b = sim.get("/schedule/api/v1/shifts", params={"limit": 5, "cursor": a["next_cursor"]}, headers=SCHEDULE).json()
    assert b["items"][0] == a["items"][-1]


def test_moving_clock_between_pages(sim: httpx.Client) -> None:
    start = "2026-02-27T21:00:00.000Z"  # two days before the default clock: the latest tickets still change

    def walk() -> tuple[list[tuple[int, str]], int]:
        sim.post("/_sim/clock", json={"now": start})
        seen: list[tuple[int, str]] = []
        for number in range(1, 10):
            page = sim.get("/helpdesk/api/v1/issues/list", params={**HD, "page[number]": number,
                                                                   "page[size]": 20}).json()
            seen += [(i["id"], i["updated_at"]) for i in page]
            if len(page) < 20:
                return seen, number
        raise AssertionError("paging did not end")

    still, _ = walk()
    assert sim.get("/_sim/clock").json()["now"] == start
    faults(sim, modes=["moving"], moving_minutes=600)
    moving, pages = walk()
    # the clock crept 10 hours for every page after the first
    crept = datetime.fromisoformat(sim.get("/_sim/clock").json()["now"]) - datetime.fromisoformat(start)
    assert crept == timedelta(hours=10 * (pages - 1))
    # records changed while being paged: later versions and new tickets turn up, rows shift between pages
    assert moving != still
    assert {i for i, _ in moving} - {i for i, _ in still}  # tickets opened meanwhile
    assert set(moving) - set(still)  # later versions of known tickets


def test_bad_fault_config_is_rejected(sim: httpx.Client) -> None:
    response = sim.post("/_sim/faults", json={"modes": ["earthquake"]})
    assert response.status_code == 422 and "earthquake" in response.text
    assert sim.post("/_sim/faults", json={"rate": 2}).status_code == 422
    assert sim.get("/_sim/faults").json()["modes"] == []
