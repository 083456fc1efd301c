"""`make run`: materialise the whole graph once, recorded in the local Dagster instance.

The run shows up in the Dagster UI's run history like a scheduled one.
"""

from __future__ import annotations

import sys

import dagster as dg


def main(job_name: str = "full_pipeline") -> int:
    from orchestration.definitions import defs

    job = defs.resolve_job_def(job_name)
    with dg.DagsterInstance.get() as instance:
        result = job.execute_in_process(instance=instance, raise_on_error=False)
    failed = [e.step_key for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    if not result.success:
        print(f"run {result.run_id} failed; failed steps: {', '.join(failed) or '?'}", file=sys.stderr)
        return 1
    print(f"run {result.run_id} succeeded")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(*sys.argv[1:]))
