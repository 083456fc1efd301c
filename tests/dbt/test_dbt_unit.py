"""dbt unit tests (unit_tests: in the YAML) of this area, on an empty database: the raw
tables as the extractors create them (empty), every model built on them (so the unit tests
of incremental models find `this`), then the unit tests."""

from __future__ import annotations

import re

from dbt_helpers import CORE_SELECTION, Dbt

from extractors.run import ensure_schema


def test_dbt_unit_tests_pass(dbt: Dbt) -> None:
    ensure_schema(dbt.db_url)
    dbt("run", "--select", *CORE_SELECTION)
    done = dbt("test", "--select", *(f"test_type:unit,{p}" for p in CORE_SELECTION))
    # dbt exits non-zero on any failing unit test (the runner fails the test with its output)
    summary = re.search(r"Done\. PASS=(\d+) WARN=\d+ ERROR=(\d+)", done.stdout)
    assert summary, done.stdout[-3000:]
    assert int(summary.group(2)) == 0
    assert int(summary.group(1)) >= 13, "fewer unit tests than this area defines"
