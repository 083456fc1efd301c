"""raw_meta.loads bookkeeping: one row per (run, entity); cursors read from committed loads.

A load row is inserted (status `running`) and committed before any data; the writer updates
its counters and `cursor_after` inside the transactions that commit rows, so a run killed
halfway leaves a `running` row whose cursor is exactly what was committed. The next run
starts from the newest committed cursor, whatever that load's status.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import psycopg

from extractors.common.raw import EntitySpec


async def last_cursor(conn: psycopg.AsyncConnection, spec: EntitySpec) -> str | None:
    cur = await conn.execute(
        "select cursor_after from raw_meta.loads where source = %s and entity = %s and cursor_after is not null"
        " order by load_id desc limit 1",
        (spec.source, spec.table),
    )
    row = await cur.fetchone()
    return row[0] if row else None


async def start_load(conn: psycopg.AsyncConnection, spec: EntitySpec, run_id: str, cursor_before: str | None) -> int:
    async with conn.transaction():
        cur = await conn.execute(
            "insert into raw_meta.loads (run_id, source, entity, cursor_before) values (%s, %s, %s, %s)"
            " returning load_id",
            (run_id, spec.source, spec.table, cursor_before),
        )
        row = await cur.fetchone()
    assert row is not None
    return int(row[0])


async def finish_load(conn: psycopg.AsyncConnection, load_id: int, error: str | None) -> None:
    async with conn.transaction():
        await conn.execute(
            "update raw_meta.loads set finished_at = now(), status = %s, error = %s where load_id = %s",
            ("failed" if error else "success", error, load_id),
        )


class EntityBusy(RuntimeError):
    pass


@asynccontextmanager
async def entity_lock(conn: psycopg.AsyncConnection, spec: EntitySpec) -> AsyncIterator[None]:
    """One extraction of an entity at a time (session advisory lock)."""
    cur = await conn.execute("select pg_try_advisory_lock(hashtext(%s))", (f"extract:{spec.name}",))
    row = await cur.fetchone()
    if not row or not row[0]:
        raise EntityBusy(f"{spec.name}: another extraction of this entity is running; try again when it ends")
    try:
        yield
    finally:
        await conn.execute("select pg_advisory_unlock(hashtext(%s))", (f"extract:{spec.name}",))


async def finish_unchanged(conn: psycopg.AsyncConnection, load_id: int, cursor_after: str, rows_seen: int = 0) -> None:
    """A full reload whose source answered "not modified" (HTTP 304, or the same content as the
    last complete load): the load records its cursor (the validator, so the next run asks the
    same question) and inserts nothing. Above all it marks nothing vanished: the rows it did not
    read are exactly the rows the last complete reload left current."""
    async with conn.transaction():
        await conn.execute(
            "update raw_meta.loads set cursor_after = %s, rows_seen = rows_seen + %s where load_id = %s",
            (cursor_after, rows_seen, load_id),
        )
