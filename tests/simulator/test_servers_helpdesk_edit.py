"""Time entries a test adds or deletes at the simulator's clock (real HTTP): the okdesk dialect
serves them, the issue's updated_at does not move, and the ground truth agrees."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from source_simulator.truth import truth_frames
from tools.simulator_server import running_server

TOKEN = "demo-helpdesk-token"
HD = "/helpdesk/api/v1"


@pytest.fixture(scope="module")
def world(tiny_world: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    copy = tmp_path_factory.mktemp("edit") / "world.sqlite"
    shutil.copy(tiny_world, copy)
    return copy


@pytest.fixture(scope="module")
def okdesk(world: Path) -> Iterator[httpx.Client]:
    with running_server(world, "--helpdesk-dialect", "okdesk") as base, \
            httpx.Client(base_url=base, timeout=30, params={"api_token": TOKEN}) as client:
        yield client


def _entries(client: httpx.Client, issue_id: int) -> dict[int, dict]:
    r = client.get(f"{HD}/issues/{issue_id}/time_entries")
    r.raise_for_status()
    return {e["id"]: e for e in r.json()["time_entries"]}


def _recent_issue(client: httpx.Client, skip: int = 0) -> dict:
    """One of the last changed issues that has an assignee and time entries."""
    issues = client.get(f"{HD}/issues/list", params={"page[size]": 50, "sorting[direction]": "reverse"}).json()
    return [i for i in issues if i.get("assignee") and _entries(client, i["id"])][skip]


def test_an_entry_added_leaves_the_issue_unchanged(okdesk: httpx.Client, world: Path) -> None:
    issue = _recent_issue(okdesk)
    before = _entries(okdesk, issue["id"])
    r = okdesk.post(f"/_sim/helpdesk/issues/{issue['id']}/time_entries",
                    json={"spent_time": "1.25", "comment": "Дописано задним числом"})
    assert r.status_code == 201, r.text
    new_id = r.json()["id"]
    after = _entries(okdesk, issue["id"])
    assert set(after) == set(before) | {new_id}
    assert after[new_id]["spent_time"] == 1.25 and after[new_id]["comment"] == "Дописано задним числом"
    assert after[new_id]["employee"]["id"] == issue["assignee"]["id"]
    # the issue, in the list and in detail, is the version it was
    assert okdesk.get(f"{HD}/issues/{issue['id']}").json()["updated_at"] == issue["updated_at"]
    now = okdesk.get("/_sim/clock").json()["now"]
    truth = {r["id"] for r in truth_frames(world, now)["hd_time_entries"] if r["issue_id"] == issue["id"]}
    assert truth == set(after)


def test_an_entry_deleted_is_gone_from_its_issue(okdesk: httpx.Client, world: Path) -> None:
    issue = _recent_issue(okdesk, skip=1)
    before = _entries(okdesk, issue["id"])
    victim = min(before)
    r = okdesk.delete(f"/_sim/helpdesk/time_entries/{victim}")
    assert r.status_code == 200, r.text
    assert set(_entries(okdesk, issue["id"])) == set(before) - {victim}
    assert okdesk.get(f"{HD}/issues/{issue['id']}").json()["updated_at"] == issue["updated_at"]
    now = okdesk.get("/_sim/clock").json()["now"]
    assert victim not in {r["id"] for r in truth_frames(world, now)["hd_time_entries"]}
    # later, too: the world's own planned edits of the entry are dropped with it
    okdesk.post("/_sim/clock", json={"advance_days": 30}).raise_for_status()
    assert victim not in _entries(okdesk, issue["id"])
    assert okdesk.delete(f"/_sim/helpdesk/time_entries/{victim}").status_code == 404


def test_edits_of_what_does_not_exist_are_refused(okdesk: httpx.Client) -> None:
    assert okdesk.post("/_sim/helpdesk/issues/999999/time_entries", json={}).status_code == 404
    issue = _recent_issue(okdesk)
    r = okdesk.post(f"/_sim/helpdesk/issues/{issue['id']}/time_entries", json={"spent_time": "-1"})
    assert r.status_code == 422
    # control calls are not source requests: the request counter does not see them
    assert not [k for k in okdesk.get("/_sim/requests").json()["counts"] if "_sim" in k]
