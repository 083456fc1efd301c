"""1C OData client: `$top`/`$skip` paging with a stable `$orderby`, stop on a short page.

`$skip` paging is offset paging: a row inserted or removed before the current offset between
two requests shifts the rest. Each page therefore starts `page_overlap` rows before the end
of the previous one; rows read twice are merged by key in the full reload, so shifts of up
to `page_overlap` rows per page lose nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

import httpx

from extractors.common.http import SourceError, SourceHttp
from extractors.common.settings import RetrySettings
from extractors.onec.settings import OnecSettings


class OnecClient:
    def __init__(
        self, settings: OnecSettings, retry: RetrySettings | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ):
        self.settings = settings
        self.http = SourceHttp(
            "onec", settings.url.rstrip("/") + "/odata/standard.odata", retry,
            auth=(settings.user, settings.password.get_secret_value()),
            transport=transport,
        )

    async def __aenter__(self) -> OnecClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.http.__aexit__(*exc)

    async def pages(self, entity_set: str, order_by: str) -> AsyncIterator[list[Any]]:
        top = self.settings.page_size
        overlap = min(self.settings.page_overlap, top // 2)
        skip = 0
        path = "/" + quote(entity_set)
        while True:
            data = await self.http.get_json(
                path, {"$format": "json", "$top": top, "$skip": skip, "$orderby": order_by}
            )
            if not isinstance(data, dict) or not isinstance(data.get("value"), list):
                raise SourceError("onec", path, 'expected an OData envelope {"value": [...]}')
            rows = data["value"]
            yield rows
            if len(rows) < top:
                return
            skip += len(rows) - overlap
