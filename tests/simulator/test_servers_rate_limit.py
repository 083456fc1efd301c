"""The help desk's steady rate limit (SIM_HELPDESK_RATE_LIMIT, real HTTP): a client over its
requests per second gets Okdesk-shaped 429s with Retry-After, each client has its own budget,
the request counter sees the refused requests, and the limit can be changed at runtime."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from source_simulator.servers import sample_world
from tools.simulator_server import running_server

TOKEN = "demo-helpdesk-token"
HD = "/helpdesk/api/v1"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return sample_world.build(tmp_path_factory.mktemp("rate") / "world.sqlite")


def test_a_client_over_the_rate_gets_429_with_retry_after(world: Path) -> None:
    with running_server(world, "--helpdesk-dialect", "okdesk", env={"SIM_HELPDESK_RATE_LIMIT": "4"}) as base, \
            httpx.Client(base_url=base, timeout=30, params={"api_token": TOKEN}) as client:
        answers = [client.get(f"{HD}/employees/list") for _ in range(10)]
        statuses = [r.status_code for r in answers]
        assert statuses[:4] == [200] * 4  # a burst of one second's requests passes ...
        refused = [r for r in answers if r.status_code == 429]
        assert len(refused) >= 5  # ... then at most 4 a second
        assert all(r.headers["Retry-After"] == "1" for r in refused)
        assert "too many requests" in refused[0].json()["errors"]
        # another client (token) has a budget of its own: it gets the answer for its wrong token
        assert client.get(f"{HD}/employees/list", params={"api_token": "another"}).status_code == 401
        # the control endpoints are not the help desk's: never limited
        assert all(client.get("/_sim/health").status_code == 200 for _ in range(10))

        limit = client.get("/_sim/rate_limit").json()
        assert limit["rate"] == 4 and limit["refused"] == {f"GET {HD}/employees/list": len(refused)}
        # refused requests are requests: the counter has every one (and the other client's)
        assert client.get("/_sim/requests").json()["counts"][f"GET {HD}/employees/list"] == 11

        time.sleep(1.1)  # as Retry-After said
        assert client.get(f"{HD}/employees/list").status_code == 200

        assert client.post("/_sim/rate_limit", json={"rate": 0}).json()["refused_total"] == 0
        assert all(client.get(f"{HD}/employees/list").status_code == 200 for _ in range(20))
        assert client.post("/_sim/rate_limit", json={"rate": -1}).status_code == 422


def test_no_limit_by_default(world: Path) -> None:
    with running_server(world) as base, \
            httpx.Client(base_url=base, timeout=30, params={"api_token": TOKEN}) as client:
        assert all(client.get(f"{HD}/employees/list").status_code == 200 for _ in range(30))
        assert client.get("/_sim/rate_limit").json() == {"rate": 0.0, "refused": {}, "refused_total": 0}
