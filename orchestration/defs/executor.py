"""The executor of every job of the code location: Dagster's multiprocess executor, one process
per step, each step forked from a forkserver.

The forkserver imports the code location (the dbt manifest, every area's assets) and Great
Expectations once per run; every step process is a fork of it. With the default start method
(spawn) each step process imported all of it again, seconds of CPU per step, and the nightly has
some forty steps (one Great Expectations check per raw table among them). The checks stay one
step per raw table so that a table whose extraction fails loses only its own check: Dagster does
not run a step whose upstream step failed, so one step for all the checks would lose them all.
`make run` and the tests use `execute_in_process`, which ignores the executor.
"""

from __future__ import annotations

import dagster as dg

PRELOAD = ["orchestration.definitions", "orchestration.sources.gx_import"]

forkserver_multiprocess = dg.multiprocess_executor.configured(
    {"start_method": {"forkserver": {"preload_modules": PRELOAD}}}, name="forkserver_multiprocess")

defs = dg.Definitions(executor=forkserver_multiprocess)
