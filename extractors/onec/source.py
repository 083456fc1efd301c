"""1C (OData) as a registry entry (extractors.common.source)."""

from __future__ import annotations

from extractors.common.source import Entity, SourceSpec
from extractors.onec import extract as x
from extractors.onec.client import OnecClient
from extractors.onec.settings import OnecSettings

SOURCE = SourceSpec(
    name="onec",
    description="1C accounting (OData)",
    # the sales documents are the one big full reload of 1C
    entities=tuple(Entity(spec, x.LOADERS[spec.table], own_process=spec.table == "sales") for spec in x.SPECS),
    settings=OnecSettings,
    client=lambda settings, tz, retry, transport: OnecClient(settings, retry, transport),
    env={"url": "ONEC_URL", "user": "ONEC_USER", "password": "ONEC_PASSWORD"},
    secrets=frozenset({"password"}),
)
