"""A fifth source from outside the project (tests/extractors/fifth_source/crm_source.py: a record
model, a spec, a loader) registered by one entry point, as a distribution of its own would be:
it is listed and extracted by the CLI, it is an asset of the code location with its GX and
freshness checks, and its Dagster run loads the rows and passes its check. Nothing in
extractors/run.py or orchestration/ names it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import psycopg
import pytest

from extractors import sources

HERE = Path(__file__).resolve().parent / "fifth_source"
ROOT = Path(__file__).resolve().parents[2]
DEALS = [
    {"id": 1, "client_inn": "7701000001", "amount": 120000.0, "updated_at": "2026-11-02T10:00:00+03:00"},
    {"id": 2, "client_inn": "7701000002", "amount": 45000.5, "updated_at": "2026-11-03T11:30:00+03:00"},
    {"id": 3, "client_inn": "7701000001", "amount": 9900.0, "updated_at": "2026-11-04T09:15:00+03:00"},
    {"id": 4, "client_inn": "7701000003", "amount": -5, "updated_at": "2026-11-04T12:00:00+03:00"},  # rejected
]


@pytest.fixture
def plugin(tmp_path: Path) -> Path:
    """A directory that, on the path, is an installed distribution with the CRM's entry point."""
    dist = tmp_path / "site" / "company_crm-1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: company-crm\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(f"[{sources.ENTRY_POINTS}]\ncrm = crm_source:SOURCE\n")
    (tmp_path / "deals.json").write_text(json.dumps(DEALS))
    return tmp_path


@pytest.fixture
def installed(plugin: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The plugin on this process's path; the registry reads it again, and forgets it afterwards."""
    monkeypatch.syspath_prepend(str(HERE))
    monkeypatch.syspath_prepend(str(plugin / "site"))
    sources.discover()
    yield plugin
    monkeypatch.undo()
    assert "crm" not in {s.name for s in sources.discover()}  # the other tests see the four sources again


def _run(plugin: Path, db: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "WAREHOUSE_URL": db, "CRM_PATH": str(plugin / "deals.json"),
           "PYTHONPATH": os.pathsep.join([str(plugin / "site"), str(HERE), str(ROOT)])}
    return subprocess.run([sys.executable, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_the_cli_lists_and_extracts_the_fifth_source(plugin: Path, fresh_db: str) -> None:
    listed = _run(plugin, fresh_db, "-m", "extractors", "sources")
    assert listed.returncode == 0, listed.stderr
    crm = [line for line in listed.stdout.splitlines() if "crm" in line]
    assert crm and "deals" in crm[0] and "incremental" in crm[0]

    run = _run(plugin, fresh_db, "-m", "extractors", "run", "--source", "crm")
    assert run.returncode == 0, run.stdout + run.stderr
    with psycopg.connect(fresh_db) as conn:
        assert conn.execute("select array_agg(id order by id) from raw_crm.deals").fetchone()[0] == [1, 2, 3]
        reason = conn.execute("select reason from raw_crm.rejects where entity = 'deals'").fetchone()[0]
        assert "amount" in reason
        status, cursor = conn.execute("select status, cursor_after from raw_meta.loads where source = 'crm'").fetchone()
        assert status == "success" and cursor.startswith("2026-11-04T09:15:00")


def test_the_code_location_has_the_fifth_sources_asset_and_checks(plugin: Path, fresh_db: str) -> None:
    """As `dagster dev` loads it: a fresh process importing the code location."""
    probe = ("from orchestration.definitions import defs; g = defs.resolve_asset_graph(); "
             "print(sorted(k.to_user_string() for k in g.get_all_asset_keys() if k.path[0] == 'raw_crm')); "
             "print(sorted(c.name for c in g.asset_check_keys if c.asset_key.path[0] == 'raw_crm')); "
             "print(sorted(k.to_user_string() for k in defs.resolve_job_def('extract_all').asset_layer"
             ".selected_asset_keys if k.path[0] == 'raw_crm'))")
    out = _run(plugin, fresh_db, "-c", probe)
    assert out.returncode == 0, out.stderr
    assets, checks, in_job = out.stdout.strip().splitlines()[-3:]
    assert assets == "['raw_crm/deals']"
    assert "gx_raw_suite" in checks and "freshness" in checks
    assert in_job == "['raw_crm/deals']"


def test_a_dagster_run_loads_the_fifth_source_and_its_check_passes(installed: Path, fresh_db: str) -> None:
    from orchestration.resources import WarehouseResource
    from orchestration.sources.assets import build_sources_defs
    from orchestration.sources.resources import SourceResource, default_resources

    defs = build_sources_defs({**default_resources(), "warehouse": WarehouseResource(url=fresh_db),
                               "crm_source": SourceResource(source="crm",
                                                            values={"path": str(installed / "deals.json")})})
    key = dg.AssetKey(["raw_crm", "deals"])
    result = defs.resolve_implicit_global_asset_job_def().execute_in_process(
        instance=dg.DagsterInstance.ephemeral(), asset_selection=[key])
    assert result.success
    [materialization] = [e.event_specific_data.materialization for e in result.get_asset_materialization_events()]
    assert materialization.asset_key == key
    assert materialization.metadata["rows_inserted"].value == 3
    assert materialization.metadata["rows_rejected"].value == 1
    gx = [e.event_specific_data for e in result.all_events
          if e.event_type_value == "ASSET_CHECK_EVALUATION" and e.event_specific_data.check_name == "gx_raw_suite"]
    assert [(c.asset_key, c.passed) for c in gx] == [(key, True)]
