"""Extraction throughput on a profile's simulator, and the loader against its ceiling.

    .venv/bin/python benchmarks/extract_bench.py --profile tiny|demo|large [--base-url URL]

1. End to end, per source (HTTP paging, validation, COPY, insert): rows per second, into a
   throw-away database next to the warehouse.
2. The help-desk issues feed's loader path (validation, hashing, COPY into the stage,
   insert-where-not-exists, loads bookkeeping, in the extractor's batch size) against a plain
   COPY of the same rows into the same table: the ceiling. Aim: at least half of it.
Prints a table; `run()` returns the figures as a dict (what `make bench` collects).
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import time
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from extractors.common.raw import PipelinedWriter, RawRecord, RawWriter  # noqa: E402
from extractors.common.runner import EntityResult  # noqa: E402
from extractors.common.settings import CompanySettings  # noqa: E402
from extractors.common.validate import split_records  # noqa: E402
from extractors.helpdesk import models as hm  # noqa: E402
from extractors.helpdesk.client import HelpdeskClient  # noqa: E402
from extractors.helpdesk.extract import ISSUES  # noqa: E402
from extractors.helpdesk.settings import HelpdeskSettings  # noqa: E402
from extractors.onec.settings import OnecSettings  # noqa: E402
from extractors.registry.settings import RegistrySettings  # noqa: E402
from extractors.run import SOURCES, ExtractConfig, ensure_schema, extract  # noqa: E402
from extractors.schedule.settings import ScheduleSettings  # noqa: E402
from tools.testdb import create_database, drop_database, ensure_server  # noqa: E402
from warehouse import libpq_url  # noqa: E402


def _world(profile: str) -> Path:
    for candidate in (ROOT / ".local" / "sim" / profile / "world.sqlite",
                      ROOT / ".local" / "extractors" / profile / "world.sqlite"):
        if candidate.exists():
            return candidate
    from source_simulator.generator import generate

    return generate(profile, out=ROOT / ".local" / "extractors" / profile).path


def _config(base: str, db_url: str) -> ExtractConfig:
    return ExtractConfig(
        db_url=db_url, helpdesk=HelpdeskSettings(url=f"{base}/helpdesk"),
        schedule=ScheduleSettings(url=f"{base}/schedule"), onec=OnecSettings(url=f"{base}/onec"),
        registry=RegistrySettings(path=f"{base}/registry.xlsx"),
    )


def _cpu() -> float:
    """CPU seconds of the extractor: this process and the feed workers it spawned and joined
    (the simulator server, also a child, is only reaped when the benchmark ends)."""
    own, workers = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + workers.ru_utime + workers.ru_stime


def end_to_end(base: str, db_url: str) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for source in SOURCES:
        started, cpu0 = time.perf_counter(), _cpu()
        results = extract(sources=[source], cfg=_config(base, db_url))
        seconds, cpu = time.perf_counter() - started, _cpu() - cpu0
        failed = [r for r in results if not isinstance(r, EntityResult)]
        if failed:
            raise RuntimeError(f"{source} failed: {failed}")
        rows = sum(r.rows_seen for r in results if isinstance(r, EntityResult))
        # CPU of the extractor's processes: unlike wall time, hardly moved by a busy machine
        out[source] = {"rows": rows, "seconds": seconds, "rows_per_s": rows / seconds if seconds else 0.0,
                       "cpu_s": cpu, "cpu_us_per_row": cpu / rows * 1e6 if rows else 0.0}
    return out


async def _fetch_issues(base: str) -> list[Any]:
    items: list[Any] = []
    async with HelpdeskClient(HelpdeskSettings(url=f"{base}/helpdesk"), CompanySettings().tz) as client:
        async for page in client.issue_pages(None):
            items += page.rows
    return items


def _records(items: list[Any]) -> list[RawRecord]:
    good, _, _ = split_records("issues", items, hm.Issue, lambda i: (i["id"], i["updated_at"]), ["id"])
    return good


async def _loader(db_url: str, items: list[Any], batch: int, *, validate: bool) -> float:
    """The issues loader path on `items` in the extractor's batch size; `validate=False` times the
    database path alone (records validated beforehand)."""
    prepared = None if validate else [_records(items[i:i + batch]) for i in range(0, len(items), batch)]
    conn = await psycopg.AsyncConnection.connect(libpq_url(db_url), autocommit=True)
    async with conn:
        await conn.execute("truncate raw_helpdesk.issues")
        cur = await conn.execute("insert into raw_meta.loads (source, entity) values ('bench', 'issues') returning load_id")
        load_id = (await cur.fetchone())[0]  # type: ignore[index]
        writer = RawWriter(conn, ISSUES, load_id)
        started = time.perf_counter()
        async with PipelinedWriter(writer) as pipe:  # as the issues loader does
            for n, i in enumerate(range(0, len(items), batch)):
                records = await asyncio.to_thread(_records, items[i:i + batch]) if prepared is None else prepared[n]
                await pipe.submit(records, [], None)
        return time.perf_counter() - started


def _ceiling(db_url: str, items: list[Any]) -> float:
    records = _records(items)
    rows = [(*r.values, r.payload_json(), r.payload_hash(), 0) for r in records]
    with psycopg.connect(libpq_url(db_url), autocommit=True) as conn:
        conn.execute("truncate raw_helpdesk.issues")
        started = time.perf_counter()
        with conn.cursor() as cur, cur.copy(
            "copy raw_helpdesk.issues (id, updated_at, payload, _payload_hash, _load_id) from stdin"
        ) as copy:
            for row in rows:
                copy.write_row(row)
        return time.perf_counter() - started


def loader_vs_ceiling(base: str, db_url: str, repeats: int = 3) -> dict[str, float]:
    items = asyncio.run(_fetch_issues(base))
    batch = HelpdeskSettings().batch_pages * HelpdeskSettings().issues_page_size
    with_validation = min(asyncio.run(_loader(db_url, items, batch, validate=True)) for _ in range(repeats))
    db_path = min(asyncio.run(_loader(db_url, items, batch, validate=False)) for _ in range(repeats))
    ceiling = min(_ceiling(db_url, items) for _ in range(repeats))
    n = len(items)
    return {"rows": n, "copy_rows_per_s": n / ceiling,
            "db_path_rows_per_s": n / db_path, "db_path_ratio": ceiling / db_path,
            "loader_rows_per_s": n / with_validation, "loader_ratio": ceiling / with_validation}


def run(profile: str = "tiny", base_url: str | None = None) -> dict[str, Any]:
    server = ensure_server()
    db_url = create_database(server, prefix="bench_extract")
    try:
        ensure_schema(db_url)
        if base_url:
            return _measure(profile, base_url, db_url)
        from tools.simulator_server import running_server

        with running_server(_world(profile)) as base:
            return _measure(profile, base, db_url)
    finally:
        drop_database(db_url)


def _measure(profile: str, base: str, db_url: str) -> dict[str, Any]:
    figures: dict[str, Any] = {"profile": profile, "end_to_end": end_to_end(base, db_url)}
    figures["issues_loader"] = loader_vs_ceiling(base, db_url)
    e2e_issues = figures["end_to_end"]["helpdesk"]
    figures["issues_loader"]["end_to_end_ratio"] = e2e_issues["rows_per_s"] / figures["issues_loader"]["copy_rows_per_s"]
    _print(figures)
    return figures


def _print(f: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    t = Table(title=f"extraction, profile {f['profile']}")
    for c in ("source", "rows", "seconds", "rows/s", "extractor CPU µs/row"):
        t.add_column(c, justify="left" if c == "source" else "right")
    for source, v in f["end_to_end"].items():
        t.add_row(source, f"{v['rows']:.0f}", f"{v['seconds']:.2f}", f"{v['rows_per_s']:.0f}",
                  f"{v['cpu_us_per_row']:.0f}")
    li = f["issues_loader"]
    t2 = Table(title="help-desk issues: loader vs a plain COPY of the same rows (ceiling)")
    for c in ("path", "rows/s", "ratio to COPY"):
        t2.add_column(c, justify="left" if c == "path" else "right")
    t2.add_row("plain COPY into raw_helpdesk.issues", f"{li['copy_rows_per_s']:.0f}", "1.00")
    t2.add_row("COPY -> stage -> insert-where-not-exists + loads", f"{li['db_path_rows_per_s']:.0f}",
               f"{li['db_path_ratio']:.2f}")
    t2.add_row("same + pydantic validation and hashing", f"{li['loader_rows_per_s']:.0f}", f"{li['loader_ratio']:.2f}")
    t2.add_row("end to end over HTTP (help desk, all entities)", f"{f['end_to_end']['helpdesk']['rows_per_s']:.0f}",
               f"{li['end_to_end_ratio']:.3f}")
    console = Console()
    console.print(t)
    console.print(t2)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="tiny")
    parser.add_argument("--base-url", default=None, help="a running simulator (default: start one)")
    args = parser.parse_args()
    run(args.profile, args.base_url)
