"""The executor of every job of the code location: Dagster's multiprocess executor, one process
per step, each step forked from a forkserver.

The forkserver imports the code location (the dbt manifest, every area's assets) and Great
Expectations once per run; every step process is a fork of it. With the default start method
(spawn) each step process imported all of it again, seconds of CPU per step. Each raw table's
Great Expectations suite runs inside its asset's step (orchestration/sources/assets.py), so the
nightly has one step per raw table, the freshness check and the dbt build.
`make run` and the tests use `execute_in_process`, which ignores the executor.
"""

from __future__ import annotations

import dagster as dg

PRELOAD = ["orchestration.definitions", "orchestration.sources.gx_import"]

forkserver_multiprocess = dg.multiprocess_executor.configured(
    {"start_method": {"forkserver": {"preload_modules": PRELOAD}}}, name="forkserver_multiprocess")

defs = dg.Definitions(executor=forkserver_multiprocess)
