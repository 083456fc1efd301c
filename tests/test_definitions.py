"""The Dagster code location loads, and the nightly schedule is there and on."""

import dagster as dg


def test_definitions_load_and_validate():
    from orchestration.definitions import defs

    dg.Definitions.validate_loadable(defs)
    assert defs.resolve_job_def("full_pipeline") is not None


def test_nightly_schedule_is_enabled_in_company_time():
    from orchestration.definitions import defs

    schedule = defs.get_schedule_def("nightly_full_pipeline")
    assert schedule.job_name == "nightly_pipeline"
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    assert schedule.execution_timezone == "Europe/Moscow"
    assert schedule.cron_schedule == "0 2 * * *"


def test_nightly_job_leaves_forecasts_to_their_weekly_schedule():
    from orchestration.definitions import defs

    nightly = defs.resolve_job_def("nightly_pipeline")
    full = defs.resolve_job_def("full_pipeline")
    nightly_keys = {k.to_user_string() for k in nightly.asset_layer.executable_asset_keys}
    full_keys = {k.to_user_string() for k in full.asset_layer.executable_asset_keys}
    assert "raw_helpdesk/issues" in nightly_keys
    assert "marts/mart_bonus_summary" in nightly_keys
    assert not any(k.startswith("forecasts/") for k in nightly_keys)
    assert "forecasts/weekly_forecast" in full_keys
    assert defs.get_schedule_def("weekly_forecasts_monday").cron_schedule == "0 6 * * 1"


def test_every_pipeline_job_forks_its_steps_from_a_preloading_forkserver():
    """The scheduled runs' steps fork from a forkserver that imported the code location and GX
    once; with spawn each of the ~40 step processes imported them again."""
    from orchestration.definitions import defs
    from orchestration.defs.executor import PRELOAD

    for name in ("full_pipeline", "nightly_pipeline", "extract_all"):
        executor = defs.resolve_job_def(name).executor_def
        assert executor.name == "forkserver_multiprocess", name
    assert "orchestration.definitions" in PRELOAD and "orchestration.sources.gx_import" in PRELOAD


def test_definitions_load_with_no_environment_and_run_nothing(tmp_path):
    """Loading the code location (what every step process and the UI do) reads the prepared
    manifest: no `dbt parse`, no other process, no setting needed."""
    import subprocess
    import sys
    from pathlib import Path

    probe = tmp_path / "probe.py"
    # a library's own probe (Dagster's vendored croniter asks `file` for the architecture) is
    # not the project's doing; a process the project's code or dbt starts is
    probe.write_text(
        "import subprocess, sys, traceback\n"
        "started = []\n"
        "real_init = subprocess.Popen.__init__\n"
        "def watch(self, args, *a, **k):\n"
        "    frames = [f.filename for f in traceback.extract_stack()[:-1]]\n"
        "    caller = next(f for f in reversed(frames) if not f.startswith(sys.base_prefix))\n"
        "    if 'site-packages' not in caller or 'dbt' in str(args):\n"
        "        started.append(args)\n"
        "    return real_init(self, args, *a, **k)\n"
        "subprocess.Popen.__init__ = watch\n"
        "import dagster as dg\n"
        "from orchestration.definitions import defs\n"
        "dg.Definitions.validate_loadable(defs)\n"
        "print('started', started)\n"
    )
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run([sys.executable, str(probe)], cwd=root, capture_output=True, text=True, timeout=300,
                          env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONPATH": str(root)})
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().splitlines()[-1] == "started []"
