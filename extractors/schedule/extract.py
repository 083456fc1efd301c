"""Schedule loads: raw_schedule.shifts (tombstones kept as facts)."""

from __future__ import annotations

from datetime import datetime, timedelta

from extractors.common.raw import Column, EntitySpec, PipelinedWriter, RawRecord, Reject
from extractors.common.runner import LoadContext
from extractors.common.validate import aware, split_records
from extractors.schedule import models as m
from extractors.schedule.client import ScheduleClient

SHIFTS = EntitySpec(
    "schedule", "shifts", (Column("id", "text"),),
    (Column("updated_at", "timestamptz"), Column("deleted", "boolean")),
    description="Planned and worked shifts; deletions arrive as tombstones (deleted = true)",
)
SPECS = [SHIFTS]


async def load_shifts(ctx: LoadContext, client: ScheduleClient) -> None:
    tz = client.tz
    before = datetime.fromisoformat(ctx.cursor_before) if ctx.cursor_before else None
    since = (before - timedelta(seconds=client.settings.overlap_seconds)).isoformat() if before else None
    records: list[RawRecord] = []
    rejects: list[Reject] = []
    max_seen = before
    pages = 0
    async with PipelinedWriter(ctx.writer) as pipe:
        async for items in client.shift_pages(since):
            good, bad, objs = split_records(
                "shifts", items, m.Shift, lambda s: (str(s["id"]), aware(s["updated_at"], tz), s["deleted"]), ["id"]
            )
            records += good
            rejects += bad
            for o in objs:
                ts = aware(o["updated_at"], tz)
                if ts and (max_seen is None or ts > max_seen):
                    max_seen = ts
            pages += 1
            if pages % client.settings.batch_pages == 0:
                await pipe.submit(records, rejects, None)
                records, rejects = [], []
        await pipe.submit(records, rejects, max_seen.isoformat() if max_seen else None)


LOADERS = {"shifts": load_shifts}
