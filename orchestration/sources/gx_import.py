"""Great Expectations, imported: what the multiprocess executor's forkserver preloads, so that
the `gx_raw_suite` check steps fork with GX in memory instead of each importing it (seconds of
CPU per step). `gx_suites` imports GX lazily: the definitions themselves do not need it."""

import os

os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")  # before the import: GX reads it there

import great_expectations  # noqa: E402,F401
import great_expectations.expectations  # noqa: E402,F401
