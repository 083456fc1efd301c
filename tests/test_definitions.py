"""The Dagster code location loads, and the nightly schedule is there and on."""

import dagster as dg


def test_definitions_load_and_validate():
    from orchestration.definitions import defs

    dg.Definitions.validate_loadable(defs)
    assert defs.get_job_def("full_pipeline") is not None


def test_nightly_schedule_is_enabled_in_company_time():
    from orchestration.definitions import defs

    schedule = defs.get_schedule_def("nightly_full_pipeline")
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    assert schedule.execution_timezone == "Europe/Moscow"
    assert schedule.cron_schedule == "0 2 * * *"
