"""The shift schedule as a registry entry (extractors.common.source)."""

from __future__ import annotations

from extractors.common.source import Entity, SourceSpec
from extractors.schedule import extract as x
from extractors.schedule.client import ScheduleClient
from extractors.schedule.settings import ScheduleSettings

SOURCE = SourceSpec(
    name="schedule",
    description="Shift schedule",
    entities=tuple(Entity(spec, x.LOADERS[spec.table]) for spec in x.SPECS),
    settings=ScheduleSettings,
    client=lambda settings, tz, retry, transport: ScheduleClient(settings, tz, retry, transport),
    env={"url": "SCHEDULE_URL", "token": "SCHEDULE_TOKEN"},
    secrets=frozenset({"token"}),
)
