"""Registry loads: raw_registry.sites and raw_registry.equipment, reloaded in full.

An unchanged workbook is not read again (`REGISTRY_CONDITIONAL`, default on). Each load stores
the workbook's validator as its `cursor_after` (JSON: the body's sha256, the server's ETag and
Last-Modified, for a file its size and mtime; and the reader's version). The next run sends
`If-None-Match` / `If-Modified-Since`; a `304 Not Modified`, or a body (or file) with the same
sha256 as the last complete load, makes the load a success that inserts nothing and marks
nothing vanished: the raw table's current versions are already exactly that workbook's rows.
A changed workbook is downloaded once per run and each sheet parsed once (both loads share
the client).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from extractors.common.http import SourceError, SourceHttp, _short
from extractors.common.loads import finish_unchanged
from extractors.common.raw import Column, EntitySpec, RawRecord, Reject
from extractors.common.runner import LoadContext
from extractors.common.settings import RetrySettings
from extractors.registry.settings import RegistrySettings
from extractors.registry.workbook import EQUIPMENT, SITES, SheetResult, SheetSpec, read_workbook

SITES_SPEC = EntitySpec("registry", "sites", (Column("site_code", "text"),), full_reload=True,
                        description="Sites sheet (Объекты) of the registry workbook")
EQUIPMENT_SPEC = EntitySpec("registry", "equipment", (Column("serial_number", "text"),), full_reload=True,
                            description="Equipment sheet (Оборудование) of the registry workbook")
SPECS = [SITES_SPEC, EQUIPMENT_SPEC]

# Bump when workbook.py reads or cleans cells differently: a workbook loaded by an older reader
# is then read again even though it did not change.
READER_VERSION = "1"


@dataclass(frozen=True)
class Validator:
    """What identifies the workbook a load read (stored as the load's cursor)."""

    reader: str
    sha256: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    size: int | None = None
    mtime_ns: int | None = None

    def cursor(self) -> str:
        return json.dumps({k: v for k, v in asdict(self).items() if v is not None}, sort_keys=True)

    @classmethod
    def from_cursor(cls, text: str | None, reader: str) -> Validator | None:
        """The validator of the last complete load, if it was read by this reader."""
        if not text:
            return None
        try:
            data = json.loads(text)
        except ValueError:
            return None
        if not isinstance(data, dict) or data.get("reader") != reader:
            return None
        fields = {k: data.get(k) for k in ("sha256", "etag", "last_modified", "size", "mtime_ns")}
        return cls(reader=reader, **fields)

    def same_content(self, other: Validator | None) -> bool:
        """Both name the same workbook: equal sha256, or (weakly) equal ETags."""
        if other is None or other.reader != self.reader:
            return False
        if self.sha256 and other.sha256 and self.sha256 == other.sha256:
            return True
        return bool(self.etag and other.etag and _weak(self.etag) == _weak(other.etag))


def _weak(etag: str) -> str:
    return etag.strip().removeprefix("W/")


@dataclass(frozen=True)
class Fetched:
    validator: Validator
    data: bytes | None  # None: the workbook the caller already loaded is still current


class _ConditionalHttp(SourceHttp):
    """`SourceHttp`'s retries, backoff and give-up errors for one GET with request headers whose
    answer may be 304."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._headers: Mapping[str, str] = {}

    async def get_response(self, path: str, headers: Mapping[str, str]) -> httpx.Response:
        self._headers = headers
        return await self._get(path, None, parse=False)

    async def _once(self, path: str, params: Mapping[str, Any] | None, *, parse: bool) -> Any:
        if self.limiter is not None:
            await self.limiter.acquire()
        self.requests += 1
        resp = await self.fetch(path, params, self._headers)
        if resp.status_code >= 400:
            raise SourceError(self.source, str(resp.request.url), f"refused: {_short(resp.text)}", resp.status_code)
        return resp


class RegistryClient:
    """Fetches the workbook from a file path or an http(s) URL (with retries), once per client:
    both sheets' loads share it."""

    def __init__(self, settings: RegistrySettings, retry: RetrySettings | None = None,
                 transport: httpx.AsyncBaseTransport | None = None):
        self.settings = settings
        self.retry = retry
        self.transport = transport
        self.reader = f"{READER_VERSION}/{settings.header_search_rows}"
        self._body: Fetched | None = None      # the workbook, once downloaded
        self._current: Validator | None = None  # a validator a 304 confirmed (no body read)
        self._lock = asyncio.Lock()
        self.downloads = 0
        self.not_modified = 0

    async def __aenter__(self) -> RegistryClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    def known(self, cursor: str | None) -> Validator | None:
        """The validator a load's `cursor_before` names (None: read the workbook)."""
        return Validator.from_cursor(cursor, self.reader) if self.settings.conditional else None

    async def fetch(self, known: Validator | None = None) -> Fetched:
        """The workbook, or `data=None` when `known` (the caller's last complete load) is current."""
        async with self._lock:
            if self._body is None:
                if self._current is not None and self._current.same_content(known):
                    return Fetched(_merge(known, self._current), None)
                # after a 304 for another load's validator this load needs the body: no condition
                got = await self._fetch(known if self._current is None else None)
                if got.data is None:
                    self.not_modified += 1
                    self._current = got.validator
                    return got
                self._body = got
            body = self._body
        if known is not None and body.validator.same_content(known):
            return Fetched(_merge(known, body.validator), None)
        return body

    async def fetch_bytes(self) -> bytes:
        got = await self.fetch(None)
        assert got.data is not None
        return got.data

    async def _fetch(self, known: Validator | None) -> Fetched:
        where = self.settings.path
        parts = urlsplit(where)
        if parts.scheme in ("http", "https"):
            base = f"{parts.scheme}://{parts.netloc}"
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            retry = self.retry or RetrySettings()
            retry = retry.model_copy(update={"http_timeout_s": max(retry.http_timeout_s,
                                                                   self.settings.download_timeout_s)})
            headers: dict[str, str] = {}
            if known is not None and known.etag:
                headers["If-None-Match"] = known.etag
            if known is not None and known.last_modified:
                headers["If-Modified-Since"] = known.last_modified
            async with _ConditionalHttp("registry", base, retry, transport=self.transport) as http:
                resp = await http.get_response(path, headers)
            etag = resp.headers.get("etag")
            modified = resp.headers.get("last-modified")
            if resp.status_code == 304:
                if known is None or not headers:
                    raise SourceError("registry", where, "answered 304 Not Modified to an unconditional request", 304)
                return Fetched(replace(known, etag=etag or known.etag, last_modified=modified or known.last_modified),
                               None)
            if resp.status_code != 200:
                raise SourceError("registry", where, "expected the workbook (200) or 304", resp.status_code)
            self.downloads += 1
            data = resp.content
            return Fetched(Validator(self.reader, hashlib.sha256(data).hexdigest(), etag, modified, len(data)), data)
        file = Path(where).expanduser()
        if not file.is_file():
            raise FileNotFoundError(f"REGISTRY_PATH={where}: no such file")
        stat = await asyncio.to_thread(file.stat)
        data = await asyncio.to_thread(file.read_bytes)
        self.downloads += 1
        # the content decides (a copy may keep the mtime, an editor may rewrite the same bytes);
        # size and mtime are kept for the record
        return Fetched(Validator(self.reader, hashlib.sha256(data).hexdigest(), size=len(data),
                                 mtime_ns=stat.st_mtime_ns), data)


def _merge(known: Validator | None, current: Validator) -> Validator:
    """The validator to store after "unchanged": the content of `known`, the newest headers."""
    if known is None:
        return current
    return replace(known, etag=current.etag or known.etag, last_modified=current.last_modified or known.last_modified,
                   size=current.size or known.size, mtime_ns=current.mtime_ns or known.mtime_ns)


SHEETS = {s.sheet: s for s in (SITES, EQUIPMENT)}


def _read_sheet(data: bytes, sheet_name: str, search_rows: int) -> SheetResult:
    return read_workbook(data, SHEETS[sheet_name], search_rows)


async def _parse_elsewhere(data: bytes, sheet_name: str, search_rows: int) -> SheetResult:
    """`read_workbook` in a worker thread. (Not a process: a spawned child re-imports the
    caller's main module, which for a script without a main guard re-runs the whole script.)
    Opening the workbook read-only costs milliseconds; each sheet's rows are parsed once, by
    the load of that sheet."""
    return await asyncio.to_thread(_read_sheet, data, sheet_name, search_rows)


def _make_loader(spec: EntitySpec, sheet: SheetSpec):
    async def load(ctx: LoadContext, client: RegistryClient) -> None:
        got = await client.fetch(client.known(ctx.cursor_before))
        if got.data is None:
            # unchanged since this entity's last complete load: nothing to insert, nothing vanished
            await finish_unchanged(ctx.conn, ctx.load_id, got.validator.cursor())
            return
        # openpyxl parses a large workbook for seconds: off the event loop, so the other
        # entities' pages and commits go on meanwhile
        result = await _parse_elsewhere(got.data, sheet.sheet, client.settings.header_search_rows)
        records = [
            RawRecord(values=(row.key,), payload=row.payload,
                      hash_payload={k: v for k, v in row.payload.items() if not k.startswith("_")})
            for row in result.rows
        ]
        rejects = [
            Reject(spec.table, r.key, r.reason, json.dumps(r.raw, ensure_ascii=False, default=str),
                   r.sheet, r.row_number, r.column_name)
            for r in result.rejects
        ]
        await ctx.writer.stage(records)
        await ctx.writer.finish_full_reload(rejects, len(records) + len(rejects), got.validator.cursor())

    load.__name__ = f"load_{spec.table}"
    return load


LOADERS = {"sites": _make_loader(SITES_SPEC, SITES), "equipment": _make_loader(EQUIPMENT_SPEC, EQUIPMENT)}
