"""The extractors' assets: one per raw table, with GX and freshness checks and the `extract_all` job."""

from __future__ import annotations

from orchestration.sources.assets import build_sources_defs

defs = build_sources_defs()
