"""Throughput of the simulator server: ``python -m source_simulator.servers.bench --world PATH``.

Starts a real server over the world and walks listings the way the extractors do, over one
HTTP connection each, printing rows per second (figures go to docs/simulator-servers.md)."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote

import httpx

from .testing import running_server

HD = {"api_token": "demo-helpdesk-token"}


def issues_by_page_number(client: httpx.Client, limit: int) -> int:
    n = 0
    for number in range(1, 1 << 30):
        page = client.get("/helpdesk/api/v1/issues/list",
                          params={**HD, "page[number]": number, "page[size]": 50}).json()
        n += len(page)
        if len(page) < 50 or n >= limit:
            return n
    return n


def from_id_walk(path: str) -> Callable[[httpx.Client, int], int]:
    def walk(client: httpx.Client, limit: int) -> int:
        n, params = 0, {**HD, "page[size]": 100}
        while True:
            page = client.get(f"/helpdesk/api/v1{path}", params=params).json()
            n += len(page)
            if len(page) < 100 or n >= limit:
                return n
            params["page[from_id]"] = page[-1]["id"]

    return walk


def shifts_walk(client: httpx.Client, limit: int) -> int:
    n, cursor = 0, None
    while True:
        body = client.get("/schedule/api/v1/shifts", headers={"Authorization": "Bearer demo-schedule-token"},
                          params={"limit": 1000, **({"cursor": cursor} if cursor else {})}).json()
        n += len(body["items"])
        cursor = body["next_cursor"]
        if cursor is None or n >= limit:
            return n


def sales_walk(client: httpx.Client, limit: int) -> int:
    n, skip = 0, 0
    path = "/onec/odata/standard.odata/" + quote("Document_РеализацияТоваровУслуг")
    while True:
        rows = client.get(path, auth=("odata", "odata"),
                          params={"$format": "json", "$top": 1000, "$skip": skip, "$orderby": "Ref_Key"}).json()["value"]
        n += len(rows)
        skip += 1000
        if len(rows) < 1000 or n >= limit:
            return n


WALKS: dict[str, Callable[[httpx.Client, int], int]] = {
    "issues/list (page[number], 50/page)": issues_by_page_number,
    "time_entries/list (from_id, 100/page)": from_id_walk("/time_entries/list"),
    "issues/status_history (from_id, 100/page)": from_id_walk("/issues/status_history"),
    "schedule shifts (cursor, 1000/page)": shifts_walk,
    "1C sales ($top=1000)": sales_walk,
}


def timed(base: str, walk: Callable[[httpx.Client, int], int], limit: int) -> tuple[int, float]:
    with httpx.Client(base_url=base, timeout=600) as client:
        t0 = time.perf_counter()
        n = walk(client, limit)
        return n, time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--world", required=True)
    parser.add_argument("--limit", type=int, default=200_000, help="rows per walk at most")
    args = parser.parse_args()
    with running_server(args.world, startup_seconds=300) as base:
        print(f"{'listing':45} {'rows':>9} {'seconds':>8} {'rows/s':>8}")
        for name, walk in WALKS.items():
            n, secs = timed(base, walk, args.limit)
            print(f"{name:45} {n:9d} {secs:8.2f} {n / secs:8.0f}")
        with ThreadPoolExecutor(len(WALKS)) as pool:
            t0 = time.perf_counter()
            results = list(pool.map(lambda w: timed(base, w, args.limit), WALKS.values()))
            secs = time.perf_counter() - t0
        total = sum(n for n, _ in results)
        print(f"{'all five at once (5 connections)':45} {total:9d} {secs:8.2f} {total / secs:8.0f}")


if __name__ == "__main__":
    main()
