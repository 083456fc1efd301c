"""Clock, health, the registry workbook and the CLI of the simulator server."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from openpyxl import load_workbook

from source_simulator.servers import sample_world
from tools.simulator_server import running_server

HD = {"api_token": "demo-helpdesk-token"}
SCHEDULE = {"Authorization": "Bearer demo-schedule-token"}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return sample_world.build(tmp_path_factory.mktemp("ctl") / "world.sqlite")


@pytest.fixture(scope="module")
def base(world: Path):
    with running_server(world) as url:
        yield url


def issue_ids(client: httpx.Client) -> list[int]:
    ids: list[int] = []
    for number in range(1, 100):
        page = client.get("/helpdesk/api/v1/issues/list",
                          params={**HD, "page[number]": number, "page[size]": 50}).json()
        ids += [i["id"] for i in page]
        if len(page) < 50:
            return ids
    raise AssertionError("paging did not end")


def test_health_and_clock(base: str) -> None:
    health = httpx.get(f"{base}/_sim/health").json()
    assert health["status"] == "ok" and health["profile"] == "sample" and health["now"] == sample_world.NOW
    clock = httpx.get(f"{base}/_sim/clock").json()
    assert clock["now"] == sample_world.NOW and clock["now_local"] == "2026-03-02T00:00:00.000+03:00"
    assert clock["horizon_end"] == sample_world.HORIZON and clock["company_tz"] == "Europe/Moscow"


def test_advancing_the_clock_makes_new_records_appear(base: str) -> None:
    with httpx.Client(base_url=base, timeout=30) as client:
        before = issue_ids(client)
        assert sorted(before) == list(range(1, 121))
        assert client.get("/helpdesk/api/v1/issues/125", params=HD).status_code == 404
        sales_url = "/onec/odata/standard.odata/Document_%D0%A0%D0%B5%D0%B0%D0%BB%D0%B8%D0%B7%D0%B0%D1%86%D0%B8%D1%8F%D0%A2%D0%BE%D0%B2%D0%B0%D1%80%D0%BE%D0%B2%D0%A3%D1%81%D0%BB%D1%83%D0%B3"
        marks = {s["Number"]: s["DeletionMark"] for s in client.get(sales_url, auth=("odata", "odata")).json()["value"]}
        assert marks["0000-000003"] is False

        moved = client.post("/_sim/clock", json={"advance_days": 5})
        assert moved.status_code == 200 and moved.json()["now"] == "2026-03-06T21:00:00.000Z"

        after = issue_ids(client)
        assert sorted(after) == list(range(1, 131))  # ten tickets opened in those five days
        assert client.get("/helpdesk/api/v1/issues/125", params=HD).json()["status"]["code"] == "closed"
        # the newly changed issues come last in updated_at order: an incremental read finds them
        recent = client.get("/helpdesk/api/v1/issues/list",
                            params={**HD, "updated_since": "02-03-2026 00:00", "page[size]": 50}).json()
        assert {i["id"] for i in recent} >= set(range(121, 131))
        marks = {s["Number"]: s for s in client.get(sales_url, auth=("odata", "odata")).json()["value"]}
        assert marks["0000-000003"]["DeletionMark"] is True and marks["0000-000003"]["DataVersion"] == "AAAAAg=="

        back = client.post("/_sim/clock", json={"now": "2026-03-02T00:00:00+03:00"})
        assert back.json()["now"] == sample_world.NOW
        assert sorted(issue_ids(client)) == list(range(1, 121))


def test_clock_errors(base: str) -> None:
    past_horizon = httpx.post(f"{base}/_sim/clock", json={"advance_days": 400})
    assert past_horizon.status_code == 409 and "horizon" in past_horizon.json()["error"]
    assert httpx.post(f"{base}/_sim/clock", json={}).status_code == 422
    assert httpx.post(f"{base}/_sim/clock", json={"now": "soon"}).status_code == 422
    assert httpx.get(f"{base}/_sim/clock").json()["now"] == sample_world.NOW


def test_registry_workbook(base: str) -> None:
    response = httpx.get(f"{base}/registry.xlsx", timeout=30)
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(response.content))
    assert {"Объекты", "Оборудование"} <= set(wb.sheetnames)
    site_cells = {c for row in wb["Объекты"].iter_rows(values_only=True) for c in row if c is not None}
    assert {"Код объекта", "ИНН клиента", "Табельный № инженера"} <= {str(c).strip() for c in site_cells}
    unit_cells = {str(c).strip() for row in wb["Оборудование"].iter_rows(values_only=True) for c in row if c}
    assert {"Серийный №", "Код объекта"} <= unit_cells


def test_cli_reports_a_missing_world(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "source_simulator.servers", "--world",
                             str(tmp_path / "nope.sqlite")], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "does not exist" in result.stderr


def test_cli_now_and_faults_options(world: Path) -> None:
    with running_server(world, "--now", "2026-02-01T00:00:00+03:00", "--faults", "rate_limit",
                        "--fault-rate", "1") as base:
        assert httpx.get(f"{base}/_sim/clock").json()["now"] == "2026-01-31T21:00:00.000Z"
        first = httpx.get(f"{base}/schedule/api/v1/shifts", headers=SCHEDULE)
        assert first.status_code == 429
    bad = subprocess.run([sys.executable, "-m", "source_simulator.servers", "--world", str(world),
                          "--faults", "earthquake"], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "earthquake" in bad.stderr
