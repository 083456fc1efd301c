"""The help desk as a registry entry (extractors.common.source)."""

from __future__ import annotations

from extractors.common.source import Entity, SourceSpec
from extractors.helpdesk import extract as x
from extractors.helpdesk.client import HelpdeskClient
from extractors.helpdesk.settings import HelpdeskSettings
from extractors.helpdesk.webhook_events import WEBHOOK_EVENTS


def _okdesk(settings: HelpdeskSettings) -> bool:
    # okdesk mode reads time entries per issue changed by this run and derives status changes
    # from the issue versions it loaded; the feeds mode reads both from their own feeds, so
    # everything runs at once
    return settings.mode == "okdesk"


SOURCE = SourceSpec(
    name="helpdesk",
    description="Help desk (Okdesk API v1)",
    entities=(
        Entity(x.ISSUES, x.load_issues, own_process=True),
        Entity(x.STATUS_HISTORY, x.load_status_history, after=("issues",), after_applies=_okdesk,
               own_process=True),
        Entity(x.TIME_ENTRIES, x.load_time_entries, after=("issues",), after_applies=_okdesk, own_process=True),
        Entity(x.EMPLOYEES, x.load_employees),
        Entity(x.COMPANIES, x.load_companies),
        Entity(x.MAINTENANCE_ENTITIES, x.load_maintenance_entities),
        Entity(x.EQUIPMENTS, x.load_equipments, own_process=True),  # 61k rows a night on `large`
    ),
    settings=HelpdeskSettings,
    client=lambda settings, tz, retry, transport: HelpdeskClient(settings, tz, retry, transport),
    env={"url": "HELPDESK_URL", "api_token": "HELPDESK_API_TOKEN", "mode": "HELPDESK_MODE"},
    secrets=frozenset({"api_token"}),
    own_tables=(WEBHOOK_EVENTS,),  # written by the webhook receiver (extractors/helpdesk/webhooks.py)
)
