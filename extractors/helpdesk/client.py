"""Help-desk HTTP client: the two paging schemes of Okdesk API v1.

`issue_pages` reads `/issues/list` (page-number paging sorted by `updated_at`) with keyset-like
restarts: after each full page it re-issues `updated_since` = the minute of the page's last
`updated_at` (less one minute: the filter has minute precision) from page 1, so rows that shift
between pages while records change cannot be skipped; rows seen twice are dropped by
(id, updated_at). Only when a whole page falls inside the restart minute does it step to page 2,
3, ...; a region read that way is re-read until a pass brings nothing new.

`id_pages` reads the `page[from_id]` lists (dictionaries and the extension feeds).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from extractors.common.http import SourceError, SourceHttp
from extractors.common.settings import RetrySettings
from extractors.helpdesk.settings import HelpdeskSettings

SINCE_FORMAT = "%d-%m-%Y %H:%M"
MAX_VERIFY_PASSES = 5


def parse_ts(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        ts = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return ts if ts.tzinfo is not None else None


def since_minute(ts: datetime, tz: tzinfo, overlap_minutes: int = 1) -> datetime:
    """The minute to restart from: `ts` in the account zone, floored, less the overlap."""
    local = ts.astimezone(tz).replace(second=0, microsecond=0)
    return local - timedelta(minutes=overlap_minutes)


def format_since(ts: datetime, tz: tzinfo) -> str:
    return ts.astimezone(tz).strftime(SINCE_FORMAT)


def okdesk_retry(settings: HelpdeskSettings, retry: RetrySettings) -> RetrySettings:
    """A real account limits the request rate: okdesk mode paces itself at `max_rps` (the lower
    of it and EXTRACT_MAX_RPS when both are set), so a first load's per-issue calls do not run
    into 429s until the retries give up."""
    if settings.mode != "okdesk" or not settings.max_rps:
        return retry
    rate = min(r for r in (settings.max_rps, retry.max_rps) if r > 0)
    return retry.model_copy(update={"max_rps": rate})


PageCheck = Callable[[list[Any]], list[Any]]


@dataclass
class FeedPage:
    rows: list[Any]
    objs: list[Any] | None  # check(rows) of these rows (None for a row that fails), if a check was given


@dataclass
class IssuePage:
    rows: list[Any]          # new rows (not seen earlier in this run)
    safe_cursor: datetime | None  # everything updated before this instant has been read


class HelpdeskClient:
    def __init__(
        self,
        settings: HelpdeskSettings,
        tz: tzinfo,
        retry: RetrySettings | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ):
        self.settings = settings
        # the zone the account reads filter dates in (times it sends carry their offset)
        self.tz = ZoneInfo(settings.account_tz) if settings.account_tz else tz
        retry = okdesk_retry(settings, retry or RetrySettings())
        self.http = SourceHttp(
            "helpdesk",
            settings.url.rstrip("/") + "/api/v1",
            retry,
            params={"api_token": settings.api_token.get_secret_value()},
            transport=transport,
        )
        # /issues/list requests at the server now; the id feeds give way to them (feed_yield_ms)
        self._issue_requests = 0
        self._no_issue_request = asyncio.Event()
        self._no_issue_request.set()

    async def __aenter__(self) -> HelpdeskClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.http.__aexit__(*exc)

    async def _list(self, path: str, params: dict[str, Any]) -> list[Any]:
        data = await self.http.get_json(path, params)
        if not isinstance(data, list):
            raise SourceError("helpdesk", str(self.http.client.base_url) + path,
                              f"expected a JSON array, got {type(data).__name__}")
        return data

    # -------------------------------------------------------------- /issues/list
    async def issue_pages(self, since: datetime | None) -> AsyncIterator[IssuePage]:
        size = self.settings.issues_page_size
        seen: set[tuple[Any, Any]] = set()

        def fresh(rows: list[Any]) -> list[Any]:
            out = []
            for r in rows:
                key = (r.get("id"), r.get("updated_at")) if isinstance(r, dict) else (None, repr(r))
                if key not in seen:
                    seen.add(key)
                    out.append(r)
            return out

        def last_minute(rows: list[Any], default: datetime | None) -> datetime | None:
            stamps = [t for t in (parse_ts(r.get("updated_at")) for r in rows if isinstance(r, dict)) if t]
            return since_minute(max(stamps), self.tz) if stamps else default

        async def fetch(s: datetime | None, page: int) -> list[Any]:
            params: dict[str, Any] = {
                "page[number]": page, "page[size]": size,
                "sorting[field]": "updated_at", "sorting[direction]": "forward",
            }
            if s is not None:
                params["updated_since"] = format_since(s, self.tz)
            self._issue_requests += 1
            self._no_issue_request.clear()
            try:
                return await self._list("/issues/list", params)
            finally:
                self._issue_requests -= 1
                if not self._issue_requests:
                    self._no_issue_request.set()

        s = since
        max_seen: datetime | None = None
        while True:
            rows = await fetch(s, 1)
            new = fresh(rows)
            for r in new:
                t = parse_ts(r.get("updated_at")) if isinstance(r, dict) else None
                if t and (max_seen is None or t > max_seen):
                    max_seen = t
            nxt = last_minute(rows, s)
            if len(rows) < size:
                yield IssuePage(new, max_seen if max_seen is not None else s)
                return
            if nxt is None:
                raise SourceError("helpdesk", "/issues/list", "a full page without a readable updated_at: cannot page on")
            if s is None or nxt > s:
                yield IssuePage(new, s)
                s = nxt
                continue
            # a whole page inside the restart minute: step through pages, re-reading the region
            # until a pass brings nothing new (rows that shift between pages cannot hide)
            yield IssuePage(new, s)
            region_end: datetime | None = None
            short = False
            for _pass in range(MAX_VERIFY_PASSES):
                found_new = False
                page = 2
                while True:
                    rows = await fetch(s, page)
                    new = fresh(rows)
                    found_new = found_new or bool(new)
                    for r in new:
                        t = parse_ts(r.get("updated_at")) if isinstance(r, dict) else None
                        if t and (max_seen is None or t > max_seen):
                            max_seen = t
                    yield IssuePage(new, s)
                    nxt = last_minute(rows, s)
                    if len(rows) < size or (nxt is not None and nxt > s):
                        short = len(rows) < size
                        region_end = nxt
                        break
                    page += 1
                if not found_new:
                    break
                # something new turned up: re-read page 1 too on the next pass
                first = fresh(await fetch(s, 1))
                if first:
                    yield IssuePage(first, s)
            if short:
                yield IssuePage([], max_seen if max_seen is not None else s)
                return
            s = region_end

    # -------------------------------------------------------------- page[from_id] lists
    async def _give_way(self) -> None:
        """The sequential issues paging is a full load's critical path, and the single-process
        server serves requests in turn: a feed request waits (briefly) while an issues request
        is at the server."""
        if self._issue_requests and self.settings.feed_yield_ms:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._no_issue_request.wait(), self.settings.feed_yield_ms / 1000)

    async def id_pages(
        self, path: str, extra: dict[str, Any] | None = None, check: PageCheck | None = None,
        *, after: int | None = None, upto: int | None = None,
    ) -> AsyncIterator[FeedPage]:
        """Pages of a `page[from_id]` list (ids after `after`, up to `upto` inclusive if given).

        `check(rows)` validates a page (one model instance per row, None for a row that fails;
        it runs once per page and travels with the page, so the loader does not validate again).
        The next `from_id` is the largest id among the rows that pass, so a damaged row with a
        stray id cannot make the paging jump; rows that fail are always passed on (they become
        rejects), valid rows beyond `upto` are left to the range that owns them."""
        size = self.settings.list_page_size
        from_id = after
        seen: set[Any] = set()
        while True:
            params: dict[str, Any] = {"page[size]": size, "page[direction]": "forward", **(extra or {})}
            if from_id is not None:
                params["page[from_id]"] = from_id
            await self._give_way()
            rows = await self._list(path, params)
            objs: list[Any] = check(rows) if check is not None else list(rows)
            new: list[Any] = []
            new_objs: list[Any] = []
            ids: list[int] = []
            for r, o in zip(rows, objs, strict=True):
                rid = r.get("id") if isinstance(r, dict) else None
                good = rid is not None and o is not None
                if good and isinstance(rid, int):
                    ids.append(rid)
                if good and isinstance(rid, int) and (
                        (upto is not None and rid > upto) or (after is not None and rid <= after)):
                    continue  # another range's row (or a repeat of the one before this range)
                if not good or rid not in seen:
                    if good:
                        seen.add(rid)
                    new.append(r)
                    new_objs.append(o)
            yield FeedPage(new, new_objs if check is not None else None)
            if len(rows) < size or not ids or (upto is not None and max(ids) >= upto):
                return
            if from_id is not None and max(ids) <= from_id:
                raise SourceError("helpdesk", path, f"page[from_id]={from_id} did not advance (max id {max(ids)})")
            from_id = max(ids)

    async def id_pages_split(
        self, path: str, extra: dict[str, Any] | None = None, check: PageCheck | None = None,
        workers: int = 1,
    ) -> AsyncIterator[FeedPage]:
        """`id_pages` read by `workers` id ranges at once (keyset within each range: nothing is
        skipped). The ranges split 1..max id (a reverse probe); the last one is open-ended, so
        records created meanwhile are read too."""
        top: int | None = None
        if workers > 1:
            probe = await self._list(path, {"page[size]": 5, "page[direction]": "reverse", **(extra or {})})
            flags = check(probe) if check is not None else probe
            ids = [r["id"] for r, o in zip(probe, flags, strict=True)
                   if isinstance(r, dict) and isinstance(r.get("id"), int) and o is not None]
            top = max(ids) if ids else None
            if check is not None and any(o is None for o in flags):
                # the probe's unreadable rows are rejects like any others (never a silent drop);
                # its good rows are read again by the ranges
                yield FeedPage([r for r, o in zip(probe, flags, strict=True) if o is None],
                               [None for o in flags if o is None])
        if top is None or top < workers * self.settings.list_page_size:
            async for page in self.id_pages(path, extra, check):
                yield page
            return
        bounds = [top * k // workers for k in range(workers)] + [None]
        queue: asyncio.Queue[FeedPage | None] = asyncio.Queue(maxsize=workers * 2)

        async def run(after: int | None, upto: int | None) -> None:
            async for page in self.id_pages(path, extra, check, after=after, upto=upto):
                await queue.put(page)

        async def all_ranges() -> None:
            try:
                await asyncio.gather(*(run(bounds[k] or None, bounds[k + 1]) for k in range(workers)))
            finally:
                await queue.put(None)

        producer = asyncio.create_task(all_ranges())
        try:
            while (page := await queue.get()) is not None:
                yield page
            await producer  # raises a range's error
        finally:
            if not producer.done():
                producer.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await producer

    async def issue_time_entries(self, issue_id: int) -> dict[str, Any]:
        data = await self.http.get_json(f"/issues/{issue_id}/time_entries")
        if not isinstance(data, dict) or not isinstance(data.get("time_entries"), list):
            raise SourceError("helpdesk", f"/issues/{issue_id}/time_entries",
                              "expected {\"spent_time_total\": n, \"time_entries\": [...]}")
        return data
