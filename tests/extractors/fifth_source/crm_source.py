"""A fifth source kept outside the `extractors` package: a CRM's deals, read from a JSON export.

It is what a company's own system would ship in its own distribution: a record model, an entity
spec, a loader, settings and a client, and one entry point in the group `service_warehouse.sources`
(test_extract_fifth_source.py writes that entry point).
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from extractors.common.raw import Column, EntitySpec, PipelinedWriter
from extractors.common.runner import LoadContext
from extractors.common.source import Entity, SourceSpec
from extractors.common.validate import aware, split_records


class CrmSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CRM_", extra="ignore")

    path: str = Field("deals.json", description="the CRM's JSON export of deals")


class Deal(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: int
    client_inn: str
    amount: float = Field(ge=0)
    updated_at: datetime


class CrmClient:
    def __init__(self, settings: CrmSettings, tz: Any) -> None:
        self.settings = settings
        self.tz = tz

    async def __aenter__(self) -> CrmClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    def deals(self) -> list[Any]:
        return json.loads(Path(self.settings.path).read_text(encoding="utf-8"))


DEALS = EntitySpec("crm", "deals", (Column("id", "bigint"),), (Column("updated_at", "timestamptz"),),
                   description="Deals of the CRM")


async def load_deals(ctx: LoadContext, client: CrmClient) -> None:
    good, bad, objs = split_records("deals", client.deals(), Deal,
                                    lambda d: (d["id"], aware(d["updated_at"], client.tz)), ["id"])
    newest = max((aware(o["updated_at"], client.tz) for o in objs), default=None)
    async with PipelinedWriter(ctx.writer) as pipe:
        await pipe.submit(good, bad, newest.isoformat() if newest else ctx.cursor_before)


SOURCE = SourceSpec(
    name="crm",
    description="CRM deals (JSON export)",
    entities=(Entity(DEALS, load_deals),),
    settings=CrmSettings,
    client=lambda settings, tz, retry, transport: CrmClient(settings, tz),
    env={"path": "CRM_PATH"},
)
