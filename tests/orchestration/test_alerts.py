"""A failing step of the nightly graph leaves an ALERT entry in its run log."""

from __future__ import annotations

import dagster as dg

from orchestration.defs.pipeline import full_pipeline, nightly_pipeline, pipeline_failure_alert


@dg.asset
def healthy_source() -> int:
    return 1


@dg.asset
def broken_model(healthy_source: int) -> int:
    raise RuntimeError("relation marts.fct_events does not exist")


def test_the_nightly_and_full_jobs_carry_the_alert_hook():
    assert pipeline_failure_alert in nightly_pipeline.hooks
    assert pipeline_failure_alert in full_pipeline.hooks


def test_a_failed_step_writes_an_alert_with_the_step_and_error_into_the_run_log():
    job = dg.define_asset_job("alert_probe", hooks={pipeline_failure_alert})
    defs = dg.Definitions(assets=[healthy_source, broken_model], jobs=[job])
    instance = dg.DagsterInstance.ephemeral()
    result = defs.resolve_job_def("alert_probe").execute_in_process(instance=instance, raise_on_error=False)
    assert not result.success
    records = instance.all_logs(result.run_id)
    alerts = [r for r in records if r.user_message.startswith("ALERT:")]
    assert len(alerts) == 1, [r.user_message for r in records]
    message = alerts[0].user_message
    assert "broken_model" in message and "alert_probe" in message
    assert "relation marts.fct_events does not exist" in message
    assert alerts[0].level >= 40  # logging.ERROR
