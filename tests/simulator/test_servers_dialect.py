"""The help-desk dialects of the simulator (real HTTP): `okdesk` serves only documented Okdesk
methods and answers its errors, `relay` keeps our extension feeds; the request counter."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from source_simulator.servers import sample_world
from tools.simulator_server import running_server

TOKEN = "demo-helpdesk-token"
HD = "/helpdesk/api/v1"
PAGE_ERROR = "должно быть меньше или равно 100"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return sample_world.build(tmp_path_factory.mktemp("dialect") / "world.sqlite")


@pytest.fixture(scope="module")
def okdesk(world: Path) -> Iterator[httpx.Client]:
    with running_server(world, "--helpdesk-dialect", "okdesk") as base, \
            httpx.Client(base_url=base, timeout=30, params={"api_token": TOKEN}) as client:
        yield client


@pytest.fixture(scope="module")
def relay(world: Path) -> Iterator[httpx.Client]:
    # the dialect from the environment, as `make demo` would set it
    with running_server(world, env={"SIM_HELPDESK_DIALECT": "relay"}) as base, \
            httpx.Client(base_url=base, timeout=30, params={"api_token": TOKEN}) as client:
        yield client


def test_health_names_the_dialect(okdesk: httpx.Client, relay: httpx.Client) -> None:
    assert okdesk.get("/_sim/health").json()["helpdesk_dialect"] == "okdesk"
    assert relay.get("/_sim/health").json()["helpdesk_dialect"] == "relay"


@pytest.mark.parametrize("path", ["/issues/status_history", "/time_entries/list"])
def test_okdesk_has_no_extension_feeds(okdesk: httpx.Client, relay: httpx.Client, path: str) -> None:
    gone = okdesk.get(HD + path, params={"page[size]": 10})
    assert gone.status_code == 404
    assert gone.json() == {"errors": f"no such endpoint: /api/v1{path}"}
    assert relay.get(HD + path, params={"page[size]": 10}).status_code == 200


def test_okdesk_keeps_its_documented_methods(okdesk: httpx.Client) -> None:
    issues = okdesk.get(HD + "/issues/list", params={"page[size]": 100}).json()
    assert len(issues) == 100  # Okdesk's limit, not our relay's 50
    assert okdesk.get(HD + f"/issues/{issues[0]['id']}").json()["id"] == issues[0]["id"]
    entries = okdesk.get(HD + f"/issues/{issues[0]['id']}/time_entries").json()
    assert set(entries) == {"spent_time_total", "time_entries"}
    for path in ("/employees/list", "/companies/list", "/maintenance_entities/list", "/equipments/list"):
        assert okdesk.get(HD + path, params={"page[size]": 100}).status_code == 200, path


@pytest.mark.parametrize("path", ["/issues/list", "/employees/list", "/equipments/list"])
def test_okdesk_refuses_an_oversize_page(okdesk: httpx.Client, relay: httpx.Client, path: str) -> None:
    refused = okdesk.get(HD + path, params={"page[size]": 101})
    assert refused.status_code == 400
    assert refused.json() == {"errors": {"page[size]": [PAGE_ERROR]}}
    # the relay dialect clamps silently, as before
    clamped = relay.get(HD + path, params={"page[size]": 101})
    assert clamped.status_code == 200 and len(clamped.json()) <= 100


def test_request_counter_by_path_template(okdesk: httpx.Client) -> None:
    assert okdesk.delete("/_sim/requests").json() == {"counts": {}, "total": 0}
    okdesk.get(HD + "/issues/1")
    okdesk.get(HD + "/issues/2")
    okdesk.get(HD + "/issues/2/time_entries")
    okdesk.get(HD + "/issues/status_history")  # 404, still counted under its own name
    okdesk.get(HD + "/no/such/method")
    okdesk.get("/_sim/clock")  # control calls are not source requests
    got = okdesk.get("/_sim/requests").json()
    assert got == {"counts": {
        f"GET {HD}/issues/status_history": 1,
        f"GET {HD}/issues/{{issue_id}}": 2,
        f"GET {HD}/issues/{{issue_id}}/time_entries": 1,
        f"GET {HD}/no/such/method": 1,
    }, "total": 5}
    okdesk.delete("/_sim/requests")
    assert okdesk.get("/_sim/requests").json()["total"] == 0


def test_requests_a_fault_answers_are_counted(world: Path) -> None:
    with running_server(world, "--faults", "rate_limit", "--fault-rate", "1") as base, \
            httpx.Client(base_url=base, timeout=30, params={"api_token": TOKEN}) as client:
        assert client.get(HD + "/issues/list").status_code == 429
        assert client.get("/_sim/requests").json()["counts"] == {f"GET {HD}/issues/list": 1}


def test_unknown_dialect_is_refused(world: Path) -> None:
    with pytest.raises(RuntimeError, match="exited with 2"), running_server(world, "--helpdesk-dialect", "zendesk"):
        pass
