"""Help-desk loads: one function per raw_helpdesk table."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from pydantic import BaseModel

from extractors.common.http import SourceError
from extractors.common.raw import Column, EntitySpec, PipelinedWriter, RawRecord, Reject
from extractors.common.runner import LoadContext
from extractors.common.validate import raw_text, split_records, validate_rows
from extractors.helpdesk import models as m
from extractors.helpdesk.client import HelpdeskClient, format_since, parse_ts, since_minute

T = TypeVar("T")
ID = Column("id", "bigint")
UPDATED = Column("updated_at", "timestamptz")
ISSUE_ID = Column("issue_id", "bigint")

ISSUES = EntitySpec("helpdesk", "issues", (ID,), (UPDATED,), description="Help-desk tickets, one row per version")
STATUS_HISTORY = EntitySpec("helpdesk", "status_history", (ID,), (ISSUE_ID, UPDATED),
                            description="Ticket status changes (extension feed, or observed by polling in okdesk mode)")
TIME_ENTRIES = EntitySpec("helpdesk", "time_entries", (ID,), (ISSUE_ID, UPDATED),
                          description="Logged work (extension feed, or per issue in okdesk mode)",
                          vanish_scope="issue_id")
EMPLOYEES = EntitySpec("helpdesk", "employees", (ID,), full_reload=True, description="Help-desk employees")
COMPANIES = EntitySpec("helpdesk", "companies", (ID,), full_reload=True, description="Client companies")
MAINTENANCE_ENTITIES = EntitySpec("helpdesk", "maintenance_entities", (ID,), (UPDATED,), full_reload=True,
                                  description="Serviced sites")
EQUIPMENTS = EntitySpec("helpdesk", "equipments", (ID,), full_reload=True, description="Equipment units")

ISSUE_READ_AHEAD = 4  # pages of /issues/list fetched ahead of validation
DERIVE_BATCH = 20_000  # status changes derived from issue versions per committed batch

SPECS = [ISSUES, STATUS_HISTORY, TIME_ENTRIES, EMPLOYEES, COMPANIES, MAINTENANCE_ENTITIES, EQUIPMENTS]
OKDESK_CURSOR = "issues_load:"


def _later(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b)


def _iso(ts: datetime | None) -> str | None:
    return ts.isoformat() if ts else None


def _cursor_ts(cursor: str | None) -> datetime | None:
    return parse_ts(cursor) if cursor and not cursor.startswith(OKDESK_CURSOR) else None


def _validator(model: type[BaseModel]) -> Callable[[list[Any]], list[Any]]:
    """A page check for `id_pages`: model instances, None for rows that fail."""
    return lambda rows: validate_rows(rows, model)


async def prefetched(pages: AsyncIterator[T], depth: int) -> AsyncIterator[T]:
    """`pages`, read by a background task up to `depth` items ahead of the consumer (in order;
    the reader's error is raised where the consumer would have met it)."""
    queue: asyncio.Queue[tuple[bool, Any]] = asyncio.Queue(maxsize=depth)

    async def read() -> None:
        try:
            async for item in pages:
                await queue.put((True, item))
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer
            await queue.put((False, exc))
            return
        await queue.put((False, None))

    task = asyncio.create_task(read())
    try:
        while True:
            ok, item = await queue.get()
            if not ok:
                if item is not None:
                    raise item
                return
            yield item
    finally:
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


# ------------------------------------------------------------------ issues (page-number feed)
async def load_issues(ctx: LoadContext, client: HelpdeskClient) -> None:
    before = _cursor_ts(ctx.cursor_before)
    future_after = ctx.future_after(client.http.retry.clock_skew_s)
    since = since_minute(before, client.tz) if before else None
    records: list[RawRecord] = []
    rejects: list[Reject] = []
    pages = 0
    cursor: datetime | None = before
    async with PipelinedWriter(ctx.writer) as pipe:
        # the paging is sequential by design (see client.py); reading ahead keeps the next
        # request at the server while this page is validated and the last batch is written
        async for page in prefetched(client.issue_pages(since), ISSUE_READ_AHEAD):
            good, bad, _ = split_records("issues", page.rows, m.Issue, lambda i: (i["id"], i["updated_at"]), ["id"],
                                         future_after=future_after, tz=client.tz)
            records += good
            rejects += bad
            pages += 1
            cursor = _later(cursor, ctx.clamp(page.safe_cursor))
            if pages % client.settings.batch_pages == 0:
                await pipe.submit(records, rejects, _iso(cursor))
                records, rejects = [], []
        await pipe.submit(records, rejects, _iso(cursor))


# ------------------------------------------------------------------ from_id feeds with updated_since
async def _load_id_feed(
    ctx: LoadContext,
    client: HelpdeskClient,
    path: str,
    model: type[BaseModel],
    to_values: Callable[[Any], tuple[Any, ...]],
) -> None:
    before = _cursor_ts(ctx.cursor_before)
    future_after = ctx.future_after(client.http.retry.clock_skew_s)
    extra: dict[str, Any] = {}
    if before is not None:
        since = since_minute(before, client.tz, client.settings.lookback_minutes)
        extra["updated_since"] = format_since(since, client.tz)
    records: list[RawRecord] = []
    rejects: list[Reject] = []
    max_seen = before
    pages = 0
    async with PipelinedWriter(ctx.writer) as pipe:
        async for page in client.id_pages_split(path, extra, _validator(model), client.settings.feed_workers):
            good, bad, objs = split_records(ctx.spec.table, page.rows, model, to_values, ["id"], objs=page.objs,
                                            future_after=future_after, tz=client.tz)
            records += good
            rejects += bad
            max_seen = _later(max_seen, max((t for o in objs if (t := o.get("updated_at"))), default=None))
            pages += 1
            if pages % client.settings.batch_pages == 0:
                # id-ordered: the cursor can move only once the whole feed has been read
                await pipe.submit(records, rejects, None)
                records, rejects = [], []
        # never past the run's start minus the re-read window (see schedule/extract.py)
        cursor = ctx.clamp(max_seen, timedelta(minutes=client.settings.lookback_minutes))
        await pipe.submit(records, rejects, _iso(_later(before, cursor)))


async def load_status_history(ctx: LoadContext, client: HelpdeskClient) -> None:
    if client.settings.mode == "okdesk":
        await _derive_status_history(ctx)
    else:
        await _load_id_feed(ctx, client, "/issues/status_history", m.StatusChange,
                            lambda o: (o["id"], o["issue_id"], o["updated_at"]))


def poll_change_id(issue_id: int, updated_at: datetime) -> int:
    """The id of the status change seen in the issue version (issue_id, updated_at): the same on
    every run (a re-run stores nothing twice) and negative, so it can never take the id of a
    change a source's own history sends."""
    key = f"{issue_id}@{updated_at.astimezone(UTC).isoformat()}".encode()
    return -(int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "big") >> 2) - 1


# Each issue version loaded in (done, upto] against the version stored just before it (by
# updated_at, from any load): a first version, or one whose status code differs, is a change.
POLLED_CHANGES = """
select n.id, n.updated_at, n.payload->>'updated_at', n.payload->'status', prev.payload->'status'->>'code'
from (select distinct on (id, updated_at) id, updated_at, payload
      from raw_helpdesk.issues where _load_id > %(done)s and _load_id <= %(upto)s
      order by id, updated_at, _load_id) as n
left join lateral (
    select p.payload from raw_helpdesk.issues as p
    where p.id = n.id and p.updated_at < n.updated_at
    order by p.updated_at desc, p._load_id desc limit 1) as prev on true
where prev.payload is null or prev.payload->'status'->>'code' is distinct from n.payload->'status'->>'code'
order by n.id, n.updated_at
"""


async def _derive_status_history(ctx: LoadContext) -> None:
    """Plain Okdesk has no status history method: a change is what the polled issue versions
    show (raw_helpdesk.issues keeps every version). The moment is the version's updated_at, so
    it is the latest the change can have happened, not when it did; two changes between polls
    show as one; the rows say `observed_by: poll` (docs/okdesk.md)."""
    done, upto = await _issue_loads_to_read(ctx)
    cur = await ctx.conn.execute(POLLED_CHANGES, {"done": done, "upto": upto})
    while True:
        # a first load derives one row per issue: written in batches (the ids are deterministic,
        # so a run that stops half-way converges on the next one); the cursor moves with the last
        rows = await cur.fetchmany(DERIVE_BATCH)
        records = []
        for issue_id, updated_at, updated_text, status, previous in rows:
            change_id = poll_change_id(int(issue_id), updated_at)
            payload = {"id": change_id, "issue_id": int(issue_id), "status": status,
                       "previous_status": None if previous is None else {"code": previous},
                       "changed_at": updated_text, "updated_at": updated_text, "author": None,
                       "observed_by": "poll"}
            records.append(RawRecord((change_id, int(issue_id), updated_at), payload))
        last = len(rows) < DERIVE_BATCH
        await ctx.writer.write(records, [], f"{OKDESK_CURSOR}{upto}" if last else None)
        if last:
            return


async def load_time_entries(ctx: LoadContext, client: HelpdeskClient) -> None:
    if client.settings.mode == "okdesk":
        await _load_time_entries_per_issue(ctx, client)
    else:
        await _load_id_feed(ctx, client, "/time_entries/list", m.TimeEntry,
                            lambda o: (o["id"], o["issue_id"], o["updated_at"]))


async def _issue_loads_to_read(ctx: LoadContext) -> tuple[int, int]:
    """The issues loads (done, upto] a load that follows the issues reads: after the last one
    it read, up to the newest finished issues load (a running one may still commit rows under
    its id; they are read once it has finished)."""
    done = 0
    if ctx.cursor_before and ctx.cursor_before.startswith(OKDESK_CURSOR):
        done = int(ctx.cursor_before.removeprefix(OKDESK_CURSOR))
    cur = await ctx.conn.execute(
        "select coalesce(max(load_id), 0) from raw_meta.loads"
        " where source = 'helpdesk' and entity = 'issues' and status <> 'running'")
    upto = max(done, int((await cur.fetchone())[0]))  # type: ignore[index]
    return done, upto


DONE_STATUSES = ("completed", "closed")

# The issues the time-entry sweep re-reads: by the latest stored version of each issue, the open
# ones and those completed within the window before the newest updated_at in raw (not the wall
# clock: a replay of the same loads sweeps the same issues).
SWEEP_ISSUES = """
with latest as (
    select distinct on (id) id, updated_at, payload->'status'->>'code' as status,
           (payload->>'completed_at')::timestamptz as completed_at
    from raw_helpdesk.issues where _load_id <= %(upto)s
    order by id, updated_at desc, _load_id desc)
select id from latest
where status <> all(%(done)s)
   or coalesce(completed_at, updated_at) >= (select max(updated_at) from latest) - %(days)s * interval '1 day'
"""


async def issues_to_read(ctx: LoadContext, sweep_days: int) -> tuple[list[int], int]:
    """The issues whose time entries this load reads, and the issues load it reads up to: those
    with a new version since the last such load, and the sweep (SWEEP_ISSUES): whether logging or
    deleting time moves an issue's updated_at is not documented, so an issue that may still get
    entries is read again on every run."""
    done, upto = await _issue_loads_to_read(ctx)
    cur = await ctx.conn.execute(
        "select distinct id from raw_helpdesk.issues where _load_id > %s and _load_id <= %s", (done, upto))
    ids = {int(r[0]) for r in await cur.fetchall()}
    cur = await ctx.conn.execute(SWEEP_ISSUES, {"upto": upto, "done": list(DONE_STATUSES), "days": sweep_days})
    ids |= {int(r[0]) for r in await cur.fetchall()}
    return sorted(ids), upto


async def _load_time_entries_per_issue(ctx: LoadContext, client: HelpdeskClient) -> None:
    """Plain Okdesk: GET /issues/{id}/time_entries for every issue changed since the last such
    load and every issue of the sweep. An issue's answer is all its entries, so a stored entry
    it no longer lists is marked vanished (deleted in the help desk); an issue whose answer had
    a row that failed validation is left out of that, since the row may be the missing entry."""
    issue_ids, upto = await issues_to_read(ctx, client.settings.sweep_days)
    sem = asyncio.Semaphore(client.http.retry.concurrency)

    async def one(issue_id: int) -> tuple[list[RawRecord], list[Reject], bool]:
        async with sem:
            try:
                data = await client.issue_time_entries(issue_id)
            except SourceError as exc:
                if exc.status == 404:  # the issue is gone: say so, do not stop the others
                    return [], [Reject("time_entries", f"issue:{issue_id}", f"time entries of issue {issue_id}: {exc}",
                                       raw_text({"issue_id": issue_id}))], False
                raise
        rows = data["time_entries"]

        def enrich(item: dict[str, Any]) -> dict[str, Any]:
            return {**item, "issue_id": issue_id} if "issue_id" not in item else item

        good, bad, _ = split_records("time_entries", rows, m.TimeEntry,
                                     lambda o: (o["id"], o["issue_id"], o["updated_at"]), ["id"], enrich=enrich)
        return good, bad, not bad

    chunk = 200
    for i in range(0, len(issue_ids), chunk):
        part = issue_ids[i:i + chunk]
        results = await asyncio.gather(*(one(x) for x in part))
        records = [r for good, _, _ in results for r in good]
        rejects = [r for _, bad, _ in results for r in bad]
        complete = [x for x, (_, _, whole) in zip(part, results, strict=True) if whole]
        last = i + chunk >= len(issue_ids)
        await ctx.writer.write(records, rejects, f"{OKDESK_CURSOR}{upto}" if last else None,
                               complete_scopes=complete)
    if not issue_ids:
        await ctx.writer.write([], [], f"{OKDESK_CURSOR}{upto}")


# ------------------------------------------------------------------ dictionaries (full reload)
async def _load_dictionary(
    ctx: LoadContext, client: HelpdeskClient, path: str, model: type[BaseModel],
    to_values: Callable[[Any], tuple[Any, ...]],
) -> None:
    """A full reload read by `feed_workers` id ranges at once (`id_pages_split`: keyset within
    each range, the ranges disjoint and covering every id, the last one open-ended), so the
    reload is as complete as one sequential pass and its vanish detection as exact. Pages are
    staged `batch_pages` at a time (one COPY each) and committed once at the end."""
    rejects: list[Reject] = []
    records: list[RawRecord] = []
    seen = 0
    pages = 0
    async for page in client.id_pages_split(path, None, _validator(model), client.settings.feed_workers):
        good, bad, _ = split_records(ctx.spec.table, page.rows, model, to_values, ["id"], objs=page.objs)
        records += good
        rejects += bad
        seen += len(page.rows)
        pages += 1
        if pages % client.settings.batch_pages == 0:
            await ctx.writer.stage(records)
            records = []
    await ctx.writer.stage(records)
    await ctx.writer.finish_full_reload(rejects, seen)


async def load_employees(ctx: LoadContext, client: HelpdeskClient) -> None:
    await _load_dictionary(ctx, client, "/employees/list", m.Employee, lambda o: (o["id"],))


async def load_companies(ctx: LoadContext, client: HelpdeskClient) -> None:
    await _load_dictionary(ctx, client, "/companies/list", m.Company, lambda o: (o["id"],))


async def load_maintenance_entities(ctx: LoadContext, client: HelpdeskClient) -> None:
    await _load_dictionary(ctx, client, "/maintenance_entities/list", m.MaintenanceEntity,
                           lambda o: (o["id"], o["updated_at"]))


async def load_equipments(ctx: LoadContext, client: HelpdeskClient) -> None:
    await _load_dictionary(ctx, client, "/equipments/list", m.Equipment, lambda o: (o["id"],))


LOADERS = {
    "issues": load_issues,
    "status_history": load_status_history,
    "time_entries": load_time_entries,
    "employees": load_employees,
    "companies": load_companies,
    "maintenance_entities": load_maintenance_entities,
    "equipments": load_equipments,
}

