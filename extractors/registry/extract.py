"""Registry loads: raw_registry.sites and raw_registry.equipment, reloaded in full."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from extractors.common.http import SourceHttp
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


class RegistryClient:
    """Fetches the workbook bytes from a file path or an http(s) URL (with retries)."""

    def __init__(self, settings: RegistrySettings, retry: RetrySettings | None = None,
                 transport: httpx.AsyncBaseTransport | None = None):
        self.settings = settings
        self.retry = retry
        self.transport = transport
        self._data: bytes | None = None
        self._lock = asyncio.Lock()

    async def __aenter__(self) -> RegistryClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def fetch(self) -> bytes:
        """The workbook's bytes, read once per client (both sheets' loads share them)."""
        async with self._lock:
            if self._data is None:
                self._data = await self._fetch()
            return self._data

    async def _fetch(self) -> bytes:
        where = self.settings.path
        parts = urlsplit(where)
        if parts.scheme in ("http", "https"):
            base = f"{parts.scheme}://{parts.netloc}"
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            retry = self.retry or RetrySettings()
            retry = retry.model_copy(update={"http_timeout_s": max(retry.http_timeout_s,
                                                                   self.settings.download_timeout_s)})
            async with SourceHttp("registry", base, retry, transport=self.transport) as http:
                return await http.get_bytes(path)
        path = Path(where).expanduser()
        if not path.is_file():
            raise FileNotFoundError(f"REGISTRY_PATH={where}: no such file")
        return await asyncio.to_thread(path.read_bytes)


SHEETS = {s.sheet: s for s in (SITES, EQUIPMENT)}


def _read_sheet(data: bytes, sheet_name: str, search_rows: int) -> SheetResult:
    return read_workbook(data, SHEETS[sheet_name], search_rows)


async def _parse_elsewhere(data: bytes, sheet_name: str, search_rows: int) -> SheetResult:
    """`read_workbook` in a worker thread. (Not a process: a spawned child re-imports the
    caller's main module, which for a script without a main guard re-runs the whole script.)"""
    return await asyncio.to_thread(_read_sheet, data, sheet_name, search_rows)


def _make_loader(spec: EntitySpec, sheet: SheetSpec):
    async def load(ctx: LoadContext, client: RegistryClient) -> None:
        data = await client.fetch()
        # openpyxl parses a large workbook for tens of seconds: off the event loop, so the other
        # entities' pages and commits go on meanwhile
        result = await _parse_elsewhere(data, sheet.sheet, client.settings.header_search_rows)
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
        await ctx.writer.finish_full_reload(rejects, len(records) + len(rejects))

    load.__name__ = f"load_{spec.table}"
    return load


LOADERS = {"sites": _make_loader(SITES_SPEC, SITES), "equipment": _make_loader(EQUIPMENT_SPEC, EQUIPMENT)}
