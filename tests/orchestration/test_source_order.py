"""The order of the help-desk entities in Dagster follows the mode: okdesk mode reads time
entries and derives status changes per issue of the issues load, so those assets wait for
it; in the feeds mode the three big feeds run side by side (on `large` each takes minutes)."""

from __future__ import annotations

import dagster as dg
import pytest

from orchestration.sources.assets import build_sources_defs


def _parents(entity: str) -> set[str]:
    graph = build_sources_defs().resolve_asset_graph()
    return {k.to_user_string() for k in graph.get(dg.AssetKey(["raw_helpdesk", entity])).parent_keys}


@pytest.mark.parametrize("entity", ["status_history", "time_entries"])
def test_feeds_mode_runs_the_help_desk_feeds_side_by_side(entity: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HELPDESK_MODE", raising=False)
    assert _parents(entity) == set()


@pytest.mark.parametrize("entity", ["status_history", "time_entries"])
def test_okdesk_mode_reads_per_issue_after_the_issues(entity: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HELPDESK_MODE", "okdesk")
    assert _parents(entity) == {"raw_helpdesk/issues"}
