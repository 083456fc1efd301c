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
    overlap = timedelta(seconds=client.settings.overlap_seconds)
    future_after = ctx.future_after(client.http.retry.clock_skew_s)
    before = datetime.fromisoformat(ctx.cursor_before) if ctx.cursor_before else None
    since = (before - overlap).isoformat() if before else None
    records: list[RawRecord] = []
    rejects: list[Reject] = []
    max_seen = before
    pages = 0
    async with PipelinedWriter(ctx.writer) as pipe:
        async for items in client.shift_pages(since):
            good, bad, objs = split_records(
                "shifts", items, m.Shift, lambda s: (str(s["id"]), aware(s["updated_at"], tz), s["deleted"]), ["id"],
                future_after=future_after, tz=tz,
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
        # never past the run's start minus the overlap: a change the source dates late (its
        # clock ahead of ours, a row rejected above) is still read by the next load
        cursor = ctx.clamp(max_seen, overlap)
        if before is not None and cursor is not None and cursor < before:
            cursor = before  # a cursor never moves back
        await pipe.submit(records, rejects, cursor.isoformat() if cursor else None)


LOADERS = {"shifts": load_shifts}
