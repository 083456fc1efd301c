"""Schedule-service client: `GET /shifts` with an opaque `next_cursor`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import tzinfo
from typing import Any

import httpx

from extractors.common.http import SourceError, SourceHttp
from extractors.common.settings import RetrySettings
from extractors.schedule.settings import ScheduleSettings


class ScheduleClient:
    def __init__(
        self, settings: ScheduleSettings, tz: tzinfo, retry: RetrySettings | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ):
        self.settings = settings
        self.tz = tz
        self.http = SourceHttp(
            "schedule", settings.url.rstrip("/") + "/api/v1", retry,
            headers={"Authorization": f"Bearer {settings.token.get_secret_value()}"},
            transport=transport,
        )

    async def __aenter__(self) -> ScheduleClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.http.__aexit__(*exc)

    async def shift_pages(self, updated_since: str | None) -> AsyncIterator[list[Any]]:
        cursor: str | None = None
        seen_cursors: set[str] = set()
        while True:
            params: dict[str, Any] = {"limit": self.settings.page_limit}
            if updated_since:
                params["updated_since"] = updated_since
            if cursor:
                params["cursor"] = cursor
            data = await self.http.get_json("/shifts", params)
            if not isinstance(data, dict) or not isinstance(data.get("items"), list):
                raise SourceError("schedule", "/shifts", 'expected {"items": [...], "next_cursor": ...}')
            yield data["items"]
            cursor = data.get("next_cursor")
            if not cursor:
                return
            if cursor in seen_cursors:
                raise SourceError("schedule", "/shifts", f"next_cursor {cursor!r} repeats: the feed loops")
            seen_cursors.add(cursor)
