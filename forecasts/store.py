"""The `forecasts` schema: created here, rewritten whole by each run (one transaction per table)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import psycopg
from psycopg import sql

SCHEMA = "forecasts"

MODELS = "(" + ", ".join(f"'{m}'" for m in (
    "last_week", "moving_average", "same_week_last_year", "theta", "ensemble", "prophet", "prophet_holidays")) + ")"

_SERIES_COLS = """
    series text not null,
    metric text not null check (metric in ('tickets', 'hours')),
    level text not null check (level in ('company', 'region', 'team')),
    level_key text,
    label text not null,"""

DDL = f"""
create schema if not exists {SCHEMA};

create table if not exists {SCHEMA}.runs (
    generated_at timestamptz primary key,
    as_of timestamptz not null,
    last_actual_week date not null,
    model_version text not null,
    series_count int not null,
    skipped jsonb not null,
    seconds numeric(10, 2) not null
);

create table if not exists {SCHEMA}.actuals_meta (
    as_of timestamptz not null,
    last_week date not null,
    skipped jsonb not null
);

create table if not exists {SCHEMA}.weekly_actuals ({_SERIES_COLS}
    week_start date not null,
    value numeric(14, 2) not null,
    holiday_workdays int not null,
    primary key (series, week_start)
);

create table if not exists {SCHEMA}.weekly_forecast ({_SERIES_COLS}
    week_start date not null,
    horizon int not null,
    yhat numeric(14, 2) not null,
    yhat_lower numeric(14, 2) not null,
    yhat_upper numeric(14, 2) not null,
    model text not null,
    band_coverage numeric(5, 3),
    model_version text not null,
    generated_at timestamptz not null,
    primary key (series, week_start)
);

create table if not exists {SCHEMA}.forecast_models (
    series text primary key,
    model_version text not null,
    trained_through date not null,
    generated_at timestamptz not null,
    model_json text not null
);

create table if not exists {SCHEMA}.backtest_points (
    series text not null,
    model text not null check (model in {MODELS}),
    cutoff date not null,
    week_start date not null,
    horizon int not null,
    actual numeric(14, 2) not null,
    yhat numeric(14, 2),
    primary key (series, model, cutoff, week_start)
);

create table if not exists {SCHEMA}.forecast_accuracy ({_SERIES_COLS}
    model text not null check (model in {MODELS}),
    cutoffs date[] not null,
    n_cutoffs int not null,
    first_cutoff date,
    last_cutoff date,
    horizon_weeks int not null,
    n_points int not null,
    mape numeric(12, 2),
    mase numeric(12, 3),
    bias_pct numeric(12, 2),
    coverage numeric(5, 3),
    is_best boolean not null,
    best_model text,
    generated_at timestamptz not null,
    primary key (series, model)
);

create table if not exists {SCHEMA}.model_choice ({_SERIES_COLS}
    model text not null check (model in {MODELS}),
    mase numeric(12, 3),
    best_baseline text,
    best_baseline_mase numeric(12, 3),
    runner_up text,
    runner_up_mase numeric(12, 3),
    coverage numeric(5, 3),
    holidays_used boolean not null,
    reason text not null,
    n_cutoffs int not null,
    n_points int not null,
    generated_at timestamptz not null,
    primary key (series)
);

create table if not exists {SCHEMA}.capacity_plan (
    series text not null,
    level text not null,
    level_key text,
    label text not null,
    week_start date not null,
    forecast_hours numeric(14, 2) not null,
    forecast_hours_upper numeric(14, 2) not null,
    scheduled_hours numeric(14, 2) not null,
    scheduled_shifts int not null,
    schedule_published boolean not null,
    roster_hours numeric(14, 2) not null,
    capacity_basis text not null check (capacity_basis in ('schedule', 'usual_roster')),
    typical_shift_hours numeric(8, 2),
    capacity_gap_hours numeric(14, 2) not null,
    extra_shifts_needed int,
    band_coverage numeric(5, 3),
    generated_at timestamptz not null,
    primary key (series, week_start)
);
"""


# Bump when a table's columns change: every table here is derived and rewritten by each
# run, so an older layout is dropped and recreated rather than migrated.
SCHEMA_VERSION = 4
TABLES = ("runs", "actuals_meta", "weekly_actuals", "weekly_forecast", "forecast_models", "backtest_points",
          "forecast_accuracy", "model_choice", "capacity_plan")


def ensure_schema(conn: psycopg.Connection) -> None:
    with conn.transaction():
        conn.execute("select pg_advisory_xact_lock(hashtext('forecasts.ddl'))")
        conn.execute(f"create schema if not exists {SCHEMA}")
        conn.execute(f"create table if not exists {SCHEMA}.schema_version (version int not null)")
        row = conn.execute(f"select max(version) from {SCHEMA}.schema_version").fetchone()
        if row is None or row[0] != SCHEMA_VERSION:
            for table in TABLES:
                conn.execute(sql.SQL("drop table if exists {} cascade").format(sql.Identifier(SCHEMA, table)))
            conn.execute(f"delete from {SCHEMA}.schema_version")
            conn.execute(f"insert into {SCHEMA}.schema_version values ({SCHEMA_VERSION})")
        conn.execute(DDL)


def replace_rows(
    conn: psycopg.Connection, table: str, columns: Sequence[str], rows: Iterable[Sequence[object]]
) -> int:
    """Replace the whole content of `forecasts.<table>` in one transaction; returns rows written."""
    target = sql.Identifier(SCHEMA, table)
    cols = sql.SQL(", ").join(sql.Identifier(c) for c in columns)
    n = 0
    with conn.transaction():
        conn.execute(sql.SQL("delete from {}").format(target))
        with conn.cursor().copy(sql.SQL("copy {} ({}) from stdin").format(target, cols)) as copy:
            for row in rows:
                copy.write_row(row)
                n += 1
    return n
