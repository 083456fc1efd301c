"""The benchmark's pieces that need no pipeline: step timings from a Dagster run's event log,
and the process-tree RSS sampler."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from benchmarks.dagster_runs import (
    Event,
    TreeRssSampler,
    events_of,
    run_span,
    step_timings,
    summarise,
    top_steps,
    tree_pids,
    tree_rss_bytes,
)


def test_step_timings_from_multiprocess_events():
    """Seconds of a step's own work, its process start apart; checks-only steps are their own
    kind; a failed step and a step that never started are told apart."""
    events = [
        Event(0.0, None, "PIPELINE_START"),
        Event(0.1, "raw_a", "ASSET_MATERIALIZATION_PLANNED"),
        Event(0.1, "raw_a_gx_raw_suite", "ASSET_CHECK_EVALUATION_PLANNED", check="gx_raw_suite"),
        Event(0.1, "freshness_check_1", "ASSET_CHECK_EVALUATION_PLANNED", check="freshness_check"),
        Event(0.1, "dbt", "ASSET_MATERIALIZATION_PLANNED"),
        Event(0.1, "dbt", "ASSET_CHECK_EVALUATION_PLANNED", check="not_null_x"),
        Event(0.1, "never", "ASSET_MATERIALIZATION_PLANNED"),
        Event(1.0, "raw_a", "STEP_WORKER_STARTING"),
        Event(4.0, "raw_a", "STEP_START"),
        Event(14.0, "raw_a", "STEP_SUCCESS"),
        Event(14.5, "raw_a_gx_raw_suite", "STEP_WORKER_STARTING"),
        Event(15.0, "freshness_check_1", "STEP_WORKER_STARTING"),
        Event(17.5, "raw_a_gx_raw_suite", "STEP_START"),
        Event(18.0, "freshness_check_1", "STEP_START"),
        Event(19.0, "freshness_check_1", "ASSET_CHECK_EVALUATION", check="freshness_check", passed=True),
        Event(19.0, "freshness_check_1", "STEP_SUCCESS"),
        Event(19.5, "raw_a_gx_raw_suite", "ASSET_CHECK_EVALUATION", check="gx_raw_suite", passed=False),
        Event(20.0, "raw_a_gx_raw_suite", "STEP_SUCCESS"),
        Event(20.0, "dbt", "STEP_WORKER_STARTING"),
        Event(23.0, "dbt", "STEP_START"),
        Event(30.0, "dbt", "ASSET_CHECK_EVALUATION", check="not_null_x", passed=True),
        Event(40.0, "dbt", "STEP_FAILURE"),
        Event(41.0, None, "PIPELINE_FAILURE"),
    ]
    steps = {s["step"]: s for s in step_timings(events)}
    assert list(steps) == ["raw_a", "raw_a_gx_raw_suite", "freshness_check_1", "dbt"]
    assert steps["raw_a"] == {"step": "raw_a", "kind": "asset", "status": "success", "seconds": 10.0,
                              "worker_s": 3.0, "attempts": 1, "checks": 0, "checks_failed": 0, "gx_s": 0.0}
    assert steps["raw_a_gx_raw_suite"]["kind"] == "gx"
    assert steps["raw_a_gx_raw_suite"]["seconds"] == 2.5
    assert steps["raw_a_gx_raw_suite"]["checks_failed"] == 1
    assert steps["freshness_check_1"]["kind"] == "check"
    assert (steps["dbt"]["kind"], steps["dbt"]["status"], steps["dbt"]["checks"]) == ("asset", "failure", 1)
    assert run_span(events) == (41.0, "failure")

    sums = summarise(list(steps.values()))
    assert sums["gx_s"] == 2.5 and sums["gx_steps"] == 1
    assert sums["steps_sum_s"] == 10.0 + 2.5 + 1.0 + 17.0
    assert sums["failed_steps"] == ["dbt"]
    assert [s["step"] for s in top_steps(list(steps.values()), n=2)] == ["dbt", "raw_a"]


def test_a_suite_inside_its_asset_step_counts_as_great_expectations_time():
    """A source asset runs its GX suite in its own step: the suite's `seconds` metadata is the
    GX time of the run, and the step stays an asset step."""
    events = [
        Event(0.0, None, "PIPELINE_START"),
        Event(0.1, "raw_b", "ASSET_MATERIALIZATION_PLANNED"),
        Event(0.1, "raw_b", "ASSET_CHECK_EVALUATION_PLANNED", check="gx_raw_suite"),
        Event(1.0, "raw_b", "STEP_WORKER_STARTING"),
        Event(1.5, "raw_b", "STEP_START"),
        Event(3.0, "raw_b", "ASSET_CHECK_EVALUATION", check="gx_raw_suite", passed=True, seconds=0.75),
        Event(3.0, "raw_b", "STEP_SUCCESS"),
        Event(3.1, None, "PIPELINE_SUCCESS"),
    ]
    steps = step_timings(events)
    assert [(s["step"], s["kind"], s["gx_s"], s["checks"]) for s in steps] == [("raw_b", "asset", 0.75, 1)]
    sums = summarise(steps)
    assert sums["gx_s"] == 0.75 and sums["gx_steps"] == 0


def test_step_timings_from_a_real_run_event_log():
    """The events Dagster itself writes (an asset, a separate GX-named check, an asset with an
    inline check) read into the same per-step records."""

    @dg.asset
    def raw_table() -> int:
        return 1

    @dg.asset_check(asset=raw_table, name="gx_raw_suite")
    def raw_table_gx() -> dg.AssetCheckResult:
        return dg.AssetCheckResult(passed=True)

    @dg.asset(deps=[raw_table], check_specs=[dg.AssetCheckSpec("inline", asset="mart")])
    def mart():
        yield dg.MaterializeResult(check_results=[dg.AssetCheckResult(passed=False)])

    job = dg.define_asset_job("toy", selection=dg.AssetSelection.all())
    defs = dg.Definitions(assets=[raw_table, mart], asset_checks=[raw_table_gx], jobs=[job])
    with dg.DagsterInstance.ephemeral() as instance:
        result = defs.resolve_job_def("toy").execute_in_process(instance=instance)
        events = list(events_of(instance.all_logs(result.run_id)))
    steps = {s["step"]: s for s in step_timings(events)}
    assert set(steps) == {"raw_table", "raw_table_gx_raw_suite", "mart"}
    assert {k: s["kind"] for k, s in steps.items()} == {
        "raw_table": "asset", "raw_table_gx_raw_suite": "gx", "mart": "asset"}
    assert all(s["status"] == "success" and s["seconds"] is not None for s in steps.values())
    # in process: no step process, so no start-up share
    assert all(s["worker_s"] is None for s in steps.values())
    assert steps["mart"]["checks"] == 1 and steps["mart"]["checks_failed"] == 1
    assert run_span(events)[1] == "success"


def _fake_proc(root: Path, procs: dict[int, tuple[int, int]]) -> Path:
    """A /proc-like directory: pid -> (ppid, resident pages)."""
    for pid, (ppid, pages) in procs.items():
        d = root / str(pid)
        d.mkdir()
        (d / "stat").write_text(f"{pid} (py (worker) x) S {ppid} 1 1 0 -1\n")
        (d / "statm").write_text(f"1000 {pages} 10 1 0 50 0\n")
    (root / "self").mkdir()
    return root


def test_tree_rss_sums_the_root_and_all_descendants(tmp_path: Path):
    page = os.sysconf("SC_PAGE_SIZE")
    proc = _fake_proc(tmp_path, {
        10: (1, 100),   # the run worker
        11: (10, 200),  # a step process
        12: (11, 300),  # its dbt
        13: (10, 50),   # another step
        20: (1, 9999),  # not in the tree (e.g. PostgreSQL)
    })
    assert sorted(tree_pids(10, proc)) == [10, 11, 12, 13]
    assert tree_rss_bytes(10, proc) == (650 * page, 4)
    assert tree_rss_bytes(11, proc) == (500 * page, 2)


def test_sampler_keeps_the_peak_of_a_real_process_tree():
    """A child that holds ~64 MiB in a grandchild: the tree's peak includes the grandchild."""
    code = (
        "import subprocess, sys\n"
        "g = subprocess.Popen([sys.executable, '-c', "
        "'import sys; b = bytearray(64 * 2**20); sys.stdout.write(\"ready\\\\n\"); sys.stdout.flush(); sys.stdin.read()'],"
        " stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)\n"
        "print(g.stdout.readline().strip(), flush=True)\n"
        "sys.stdin.read()\n"
        "g.stdin.close(); g.wait()\n"
    )
    child = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        sampler = TreeRssSampler(child.pid)
        sampler.sample()
        assert sampler.peak_processes == 2
        assert sampler.peak_mb >= 64
    finally:
        assert child.stdin is not None
        child.stdin.close()
        child.wait(timeout=30)
    with TreeRssSampler(os.getpid(), interval=0.01) as running:
        pass
    assert running.samples >= 1


@pytest.mark.parametrize("name, gx", [("gx_raw_suite", True), ("GX_sql_suite", True),
                                      ("freshness_check", False), ("prophet_beats_baselines", False)])
def test_gx_checks_are_told_by_name(name: str, gx: bool):
    from benchmarks.dagster_runs import is_gx_check

    assert is_gx_check(name) is gx


def test_a_chart_is_timed_as_its_dashboard_opens_it_and_with_an_engineer_chosen():
    from benchmarks.charts import _with_filters

    saved = {"queries": [{"time_range": "No filter", "filters": [
        {"col": "created_at", "op": "TEMPORAL_RANGE", "val": "No filter"}]}]}
    native = [{"kind": "time", "column": None, "default": "previous calendar month"},
              {"kind": "select", "column": "full_name", "default": None},
              {"kind": "select", "column": "client_name", "default": None}]
    opened = _with_filters(saved, native, {"created_at", "full_name"}, {})
    assert opened["queries"][0]["time_range"] == "previous calendar month"
    assert opened["queries"][0]["filters"] == [
        {"col": "created_at", "op": "TEMPORAL_RANGE", "val": "previous calendar month"}]
    chosen = _with_filters(saved, native, {"created_at", "full_name"}, {"full_name": "Иванов Иван"})
    assert chosen["queries"][0]["filters"][-1] == {"col": "full_name", "op": "IN", "val": ["Иванов Иван"]}
    # a dataset without the filter's column is not filtered by it (as Superset does)
    other = _with_filters(saved, native, {"created_at"}, {"full_name": "Иванов Иван"})
    assert len(other["queries"][0]["filters"]) == 1
    # the saved chart itself is left as it was
    assert saved["queries"][0]["time_range"] == "No filter"
