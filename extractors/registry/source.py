"""The site and equipment registry (an Excel workbook) as a registry entry (extractors.common.source)."""

from __future__ import annotations

from extractors.common.source import Entity, SourceSpec
from extractors.registry import extract as x
from extractors.registry.settings import RegistrySettings

SOURCE = SourceSpec(
    name="registry",
    description="Site and equipment registry (Excel workbook)",
    entities=tuple(Entity(spec, x.LOADERS[spec.table]) for spec in x.SPECS),
    settings=RegistrySettings,
    client=lambda settings, tz, retry, transport: x.RegistryClient(settings, retry, transport),
    env={"path": "REGISTRY_PATH"},
)
