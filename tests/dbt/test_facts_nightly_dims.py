"""dim_dates, dim_work_types and fct_shifts are incremental (nightly cost on `large`): an
incremental run must give the rows a full rebuild gives, also in the cases their shortcuts
reason about.

dim_dates widens its range by the records loaded since the cutoff and keeps its old first /
last year only while a record still lies in it; dim_work_types keeps an old code only while an
issue still carries it. Here the staging tables are edited directly (as a load would: the rows'
`_last_loaded_at` moves past the previous run), then the incremental run is compared with a
full refresh of the same models:
  * growth: an issue moves two years into the future and takes a new work type;
  * shrink: every record of the first year moves into the second, and the new code vanishes.
"""

from __future__ import annotations

from typing import Any

from dbt_helpers import Dbt, extract_all, rows, scalar

import warehouse

MODELS = ("dim_dates", "dim_work_types", "fct_shifts")
SELECT = ("--select", *MODELS)


def _dump(db_url: str, table: str) -> list[tuple[Any, ...]]:
    return sorted(rows(db_url, f"select * from marts.{table}"), key=repr)


def _incremental_equals_full(dbt: Dbt) -> dict[str, list[tuple[Any, ...]]]:
    dbt("run", *SELECT)
    incremental = {t: _dump(dbt.db_url, t) for t in MODELS}
    dbt("run", *SELECT, "--full-refresh")
    full = {t: _dump(dbt.db_url, t) for t in MODELS}
    for table in MODELS:
        assert incremental[table] == full[table], f"{table}: incremental differs from full refresh"
    return full


def _exec(db_url: str, sql: str) -> None:
    with warehouse.connect(db_url) as conn:
        conn.execute(sql)


def test_dims_incremental_equal_full_refresh_when_ranges_grow_and_shrink(dbt: Dbt, sim_base: str) -> None:
    db = dbt.db_url
    extract_all(db, sim_base)
    dbt("run", "--select", "+dim_dates", "+dim_work_types", "+fct_shifts")
    # a second run is the first one with a recorded run (the incremental shortcuts)
    _incremental_equals_full(dbt)
    first_year = scalar(db, "select min(year) from marts.dim_dates")
    last_year = scalar(db, "select max(year) from marts.dim_dates")

    # growth: one issue two years ahead with a new work type; one shift edited
    _exec(db, """
        update staging.stg_helpdesk__issues
        set created_at = created_at + interval '2 years', work_type = 'test_new_code',
            _last_loaded_at = now()
        where ticket_id = (select max(ticket_id) from staging.stg_helpdesk__issues);
        update staging.stg_schedule__shifts
        set status = 'cancelled', _last_loaded_at = now()
        where shift_id = (select min(shift_id) from staging.stg_schedule__shifts);
        update intermediate.int_shifts_enriched
        set status = 'cancelled', _source_loaded_at = now()
        where shift_id = (select min(shift_id) from intermediate.int_shifts_enriched);
    """)
    full = _incremental_equals_full(dbt)
    assert max(r[7] for r in full["dim_dates"]) == last_year + 2
    assert "test_new_code" in {r[0] for r in full["dim_work_types"]}

    # shrink: the first year empties into the second, the new code and the far issue go back
    _exec(db, f"""
        update staging.stg_helpdesk__issues
        set created_at = created_at - interval '2 years', work_type = 'diagnostics', _last_loaded_at = now()
        where work_type = 'test_new_code';
        update staging.stg_helpdesk__issues
        set created_at = created_at + interval '1 year', _last_loaded_at = now()
        where extract(year from created_at at time zone 'Europe/Moscow') = {first_year};
        update staging.stg_schedule__shifts
        set planned_start = planned_start + interval '1 year', planned_end = planned_end + interval '1 year',
            _last_loaded_at = now()
        where extract(year from planned_start at time zone 'Europe/Moscow') <= {first_year};
        update staging.stg_onec__sales
        set doc_date = doc_date + interval '1 year', _last_loaded_at = now()
        where extract(year from doc_date at time zone 'Europe/Moscow') <= {first_year};
    """)
    full = _incremental_equals_full(dbt)
    assert min(r[7] for r in full["dim_dates"]) == first_year + 1
    assert max(r[7] for r in full["dim_dates"]) == max(last_year, first_year + 1)
    assert "test_new_code" not in {r[0] for r in full["dim_work_types"]}
