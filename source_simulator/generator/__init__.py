"""Seeded generator of a believable Russian service company, written into the world store.

``generate(profile, seed=42, end=date(2026, 11, 1), out=Path)`` builds ``out/world.sqlite``.
The default clock (``meta.now``) is ``end``'s midnight in the company zone; lifecycles reach
``meta.horizon_end`` = now + 31 days so the clock can be advanced day by day.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from source_simulator import store
from source_simulator.generator.clock import COMPANY_TZ, MS_DAY, add_months, days, iso, local_ms
from source_simulator.generator.onec import write_registers, write_sales
from source_simulator.generator.org import build_org, write_org
from source_simulator.generator.schedule import write_schedule
from source_simulator.generator.sink import Sink
from source_simulator.generator.tickets import TicketGenerator
from source_simulator.profiles import DEFAULT_END, DEFAULT_SEED, HORIZON_DAYS, get_profile


@dataclass(frozen=True)
class Generated:
    path: Path
    counts: dict[str, int]
    seconds: float


def world_window(profile_name: str, end: date, months: int | None = None) -> tuple[date, int, int]:
    """(first day of the history, now ms, horizon ms) for a profile ending at ``end``."""
    profile = get_profile(profile_name)
    start = add_months(end.replace(day=1), -(months or profile.months))
    now_ms = local_ms(end, COMPANY_TZ)
    return start, now_ms, now_ms + HORIZON_DAYS * MS_DAY


def generate(profile_name: str, *, seed: int = DEFAULT_SEED, end: date = DEFAULT_END,
             out: Path, progress: bool = False, months: int | None = None) -> Generated:
    """Generate a world into ``out/world.sqlite`` (built under a temporary name, then renamed).

    ``months`` shortens (or lengthens) the profile's history, keeping its shape (for tests).
    """
    t0 = time.monotonic()
    profile = get_profile(profile_name)
    if months is not None:
        if months < 1:
            raise ValueError(f"months must be at least 1, got {months}")
        profile = replace(profile, months=months)
    start, now_ms, horizon_ms = world_window(profile_name, end, months)
    out.mkdir(parents=True, exist_ok=True)
    final = out / "world.sqlite"
    tmp = out / "world.sqlite.tmp"
    for p in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
        if p.exists():
            p.unlink()
    conn = store.connect(tmp)
    conn.execute("pragma journal_mode = off")
    store.create_schema(conn)
    meta = {
        "profile": profile.name, "seed": str(seed), "start": start.isoformat(), "now": iso(now_ms),
        "horizon_end": iso(horizon_ms), "company_tz": COMPANY_TZ, "end": end.isoformat(),
    }
    conn.executemany("insert or replace into meta (key, value) values (?, ?)", meta.items())
    sink = Sink(conn)
    org = build_org(seed, profile, start, horizon_ms)
    write_org(sink, seed, org, local_ms(start, COMPANY_TZ), horizon_ms)
    write_registers(sink, profile, start, horizon_ms)
    write_sales(sink, seed, org, start, horizon_ms)
    write_schedule(sink, seed, org, start, horizon_ms)
    sink.flush()

    tickets = TicketGenerator(seed, profile, org, start, horizon_ms, sink)
    last_day = date.fromordinal(end.toordinal() + HORIZON_DAYS)
    all_days = list(days(start, last_day + timedelta(days=1)))
    console = Console(stderr=True)
    plain_log = progress and not console.is_terminal      # e.g. a log file: a line a month
    with Progress(TextColumn(f"[bold]{profile.name}[/] tickets"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("{task.fields[n]} tickets"), TimeElapsedColumn(), console=console,
                  disable=not progress or plain_log) as bar:
        task = bar.add_task("days", total=len(all_days), n=0)
        total = 0
        for day in all_days:
            total += tickets.day(day)
            bar.update(task, advance=1, n=total)
            if plain_log and day.day == 1:
                console.print(f"{profile.name}: {day} {total:,} tickets, {time.monotonic() - t0:.0f}s")
    sink.flush()
    store.create_indexes(conn)
    conn.commit()
    conn.close()
    os.replace(tmp, final)
    return Generated(final, dict(sink.counts), time.monotonic() - t0)
