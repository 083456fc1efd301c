"""Running one entity's load: lock, cursor, loads row, writer, outcome."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import psycopg

from extractors.common.loads import entity_lock, finish_load, last_cursor, start_load
from extractors.common.raw import EntitySpec, RawWriter
from warehouse import libpq_url


@dataclass
class LoadContext:
    conn: psycopg.AsyncConnection
    spec: EntitySpec
    writer: RawWriter
    cursor_before: str | None
    load_id: int
    run_id: str
    # when this load started (UTC): no cursor moves past it, no row dated well after it is kept
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def cursor_limit(self, overlap: timedelta = timedelta(0)) -> datetime:
        """The furthest a timestamp cursor may move in this load: its start minus the overlap
        the next load re-reads, so a row the source dates in the future cannot push the cursor
        past changes still to come."""
        return self.started_at - overlap

    def clamp(self, cursor: datetime | None, overlap: timedelta = timedelta(0)) -> datetime | None:
        return None if cursor is None else min(cursor, self.cursor_limit(overlap))

    def future_after(self, skew_s: float) -> datetime:
        """Rows dated after this are rejected as dated in the future (validate.split_records)."""
        return self.started_at + timedelta(seconds=skew_s)


@dataclass
class EntityResult:
    source: str
    entity: str
    load_id: int
    status: str
    rows_seen: int = 0
    rows_inserted: int = 0
    rows_rejected: int = 0
    rows_vanished: int = 0
    cursor_before: str | None = None
    cursor_after: str | None = None
    seconds: float = 0.0
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "success"


Body = Callable[[LoadContext], Awaitable[None]]


async def run_load(db_url: str, spec: EntitySpec, run_id: str, body: Body) -> EntityResult:
    """Run `body` as one load of `spec`; failures are recorded in raw_meta.loads and re-raised."""
    started = time.monotonic()
    conn = await psycopg.AsyncConnection.connect(libpq_url(db_url), autocommit=True)
    # a batch's rows, counters and cursor commit together, so a commit lost to a server crash
    # loses them together and the next run re-reads them: no need to wait for each WAL flush
    await conn.execute("set synchronous_commit = off")
    async with conn, entity_lock(conn, spec):
        cursor = await last_cursor(conn, spec)
        load_id = await start_load(conn, spec, run_id, cursor)
        ctx = LoadContext(conn, spec, RawWriter(conn, spec, load_id), cursor, load_id, run_id)
        try:
            await body(ctx)
        except BaseException as exc:
            with contextlib.suppress(Exception):
                if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
                    await conn.rollback()
                await finish_load(conn, load_id, f"{type(exc).__name__}: {exc}")
            raise
        await finish_load(conn, load_id, None)
        cur = await conn.execute(
            "select status, rows_seen, rows_inserted, rows_rejected, rows_vanished, cursor_before, cursor_after,"
            " error from raw_meta.loads where load_id = %s",
            (load_id,),
        )
        row = await cur.fetchone()
    assert row is not None
    return EntityResult(
        spec.source, spec.table, load_id, row[0], row[1], row[2], row[3], row[4], row[5], row[6],
        time.monotonic() - started, row[7],
    )
