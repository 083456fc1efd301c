"""Great Expectations 1.x suites on the raw tables, run in an ephemeral context.

Each suite validates a pandas frame of the current version of every record (a few columns
pulled out of the payload by SQL) plus one SQL-computed figure, `dup_versions`: rows that
repeat a version (incremental feeds: the same key and payload hash twice; full reloads: a
key twice in one load). Expectations: keys unique per version, mandatory fields present,
codes in their dictionaries, timestamps in order. GX is imported lazily (it is slow to import).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import psycopg

from extractors.run import ALL_SPECS
from warehouse import _plain

STATUS = ["opened", "in_progress", "delayed", "completed", "closed"]
PRIORITY = ["low", "normal", "high", "critical"]
WORK_TYPES = ["emergency_repair", "diagnostics", "maintenance", "installation", "remote_support", "consultation",
              "paid_visit"]
CHANNELS = ["phone", "email", "web", "mobile", "telegram", "monitoring", "missed_call"]
ACTIVITIES = ["onsite", "travel", "diagnostics", "maintenance", "emergency_repair", "remote", "hourly_work", "idle"]
SHIFT_TYPES = ["day", "night", "duty_day", "duty_night", "duty_weekend"]
SHIFT_STATUS = ["planned", "worked", "absent", "cancelled"]


@dataclass(frozen=True)
class Suite:
    table: str  # schema.table
    columns: str  # select list over `cur` (the current version of each key)
    not_null: tuple[str, ...]
    in_set: dict[str, list[Any]] = field(default_factory=dict)
    ordered: tuple[str, ...] = ()  # boolean columns that must be true where not null


def _ts(path: str) -> str:
    return f"nullif(payload->>'{path}', '')::timestamptz"


SUITES: dict[str, Suite] = {s.table: s for s in [
    Suite("raw_helpdesk.issues",
          f"id, updated_at, {_ts('created_at')} as created_at, payload->'status'->>'code' as status,"
          " payload->'priority'->>'code' as priority, payload->'type'->>'code' as work_type,"
          " payload->>'source' as channel,"
          f" {_ts('created_at')} <= updated_at as created_before_updated,"
          f" {_ts('completed_at')} >= {_ts('created_at')} as completed_after_created",
          ("id", "updated_at", "created_at", "status"),
          {"status": STATUS, "priority": PRIORITY, "work_type": WORK_TYPES, "channel": CHANNELS},
          ("created_before_updated", "completed_after_created")),
    Suite("raw_helpdesk.status_history",
          f"id, issue_id, updated_at, payload->'status'->>'code' as status, {_ts('changed_at')} as changed_at,"
          f" {_ts('changed_at')} <= updated_at as changed_before_updated",
          ("id", "issue_id", "status", "changed_at"), {"status": STATUS}, ("changed_before_updated",)),
    Suite("raw_helpdesk.time_entries",
          "id, issue_id, (payload->>'spent_time')::numeric as spent_time, payload->'employee'->>'id' as employee_id,"
          " (select p->>'value' from jsonb_array_elements(coalesce(payload->'parameters', '[]')) p"
          "  where p->>'code' = 'activity' limit 1) as activity,"
          " (payload->>'spent_time')::numeric >= 0 as spent_not_negative",
          ("id", "issue_id", "spent_time", "employee_id"), {"activity": ACTIVITIES}, ("spent_not_negative",)),
    Suite("raw_helpdesk.employees", "id, payload->>'login' as login", ("id", "login")),
    Suite("raw_helpdesk.companies", "id, payload->>'name' as name", ("id", "name")),
    Suite("raw_helpdesk.maintenance_entities", "id, payload->>'company_id' as company_id", ("id", "company_id")),
    Suite("raw_helpdesk.equipments", "id, payload->>'serial_number' as serial_number", ("id", "serial_number")),
    Suite("raw_schedule.shifts",
          "id, updated_at, payload->>'personnel_no' as personnel_no, payload->>'shift_type' as shift_type,"
          " payload->>'status' as status,"
          f" {_ts('planned_start')} < {_ts('planned_end')} as planned_in_order,"
          f" {_ts('actual_start')} <= {_ts('actual_end')} as actual_in_order",
          ("id", "updated_at", "personnel_no", "shift_type", "status"),
          {"shift_type": SHIFT_TYPES, "status": SHIFT_STATUS}, ("planned_in_order", "actual_in_order")),
    *[Suite(f"raw_onec.{t}", "ref_key, data_version, deletion_mark", ("ref_key", "data_version", "deletion_mark"))
      for t in ("employees", "clients")],
    Suite("raw_onec.contracts",
          "ref_key, data_version, payload->>'Owner_Key' as owner_key,"
          " case when payload->>'ДатаОкончания' like '0001-01-01%' then null"
          "  else (payload->>'ДатаНачала')::timestamp <= (payload->>'ДатаОкончания')::timestamp end as dates_in_order",
          ("ref_key", "data_version", "owner_key"), {}, ("dates_in_order",)),
    Suite("raw_onec.sales", "ref_key, data_version, payload->>'СуммаДокумента' as amount, payload->>'Date' as doc_date",
          ("ref_key", "data_version", "amount", "doc_date")),
    Suite("raw_onec.bonus_coefficients", "period, code, payload->>'Значение' as value", ("period", "code", "value")),
    Suite("raw_onec.points", "period, work_type, payload->>'Баллы' as points", ("period", "work_type", "points"),
          {"work_type": WORK_TYPES}),
    Suite("raw_onec.duty_tariffs", "period, shift_type, payload->>'Ставка' as rate", ("period", "shift_type", "rate"),
          {"shift_type": SHIFT_TYPES}),
    Suite("raw_onec.service_tariffs",
          "period, work_type, payload->>'СтавкаЧасКлиента' as client_rate,"
          " payload->>'СебестоимостьЧасаИнженера' as engineer_cost",
          ("period", "work_type", "client_rate", "engineer_cost"), {"work_type": WORK_TYPES}),
    Suite("raw_registry.sites", "site_code, payload->>'Название' as name", ("site_code",)),
    Suite("raw_registry.equipment", "serial_number, payload->>'Код объекта' as site_code",
          ("serial_number", "site_code")),
]}


@dataclass
class SuiteOutcome:
    success: bool
    rows: int
    dup_versions: int
    failures: dict[str, Any]


def _frame(db_url: str, table: str):
    import pandas as pd

    spec = next(s for s in ALL_SPECS if f"{s.schema}.{s.table}" == table)
    suite = SUITES[table]
    keys = ", ".join(spec.key_names)
    dup_sql = (f"select count(*) - count(distinct ({keys}, _load_id)) from {table}" if spec.full_reload
               else f"select count(*) - count(distinct ({keys}, _payload_hash)) from {table}")
    sql = (f"with cur as (select distinct on ({keys}) * from {table} order by {keys}, _load_id desc)"
           f" select {suite.columns} from cur where _vanished_at is null")
    with psycopg.connect(_plain(db_url)) as conn:
        dups = int(conn.execute(dup_sql).fetchone()[0])  # type: ignore[index]
        cur = conn.execute(sql)
        names = [d.name for d in cur.description or []]
        rows = cur.fetchall()
    frame = pd.DataFrame.from_records(rows, columns=names)
    for col in frame.columns:  # uuid/Decimal/datetime -> text/float where GX would choke
        if frame[col].dtype == object:
            frame[col] = frame[col].map(lambda v: v if v is None or isinstance(v, str | bool) else str(v))
    frame["dup_versions"] = dups
    return frame, dups


def validate(db_url: str, table: str) -> SuiteOutcome:
    """Run the table's suite; the outcome lists each failed expectation with examples."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations as gx
    import great_expectations.expectations as gxe

    suite_def = SUITES[table]
    frame, dups = _frame(db_url, table)
    ctx = gx.get_context(mode="ephemeral")
    batch_def = ctx.data_sources.add_pandas("raw").add_dataframe_asset(table).add_batch_definition_whole_dataframe("all")
    suite = gx.ExpectationSuite(name=f"{table}_suite")
    suite.add_expectation(gxe.ExpectColumnValuesToBeBetween(column="dup_versions", min_value=0, max_value=0))
    for col in suite_def.not_null:
        suite.add_expectation(gxe.ExpectColumnValuesToNotBeNull(column=col))
    for col, allowed in suite_def.in_set.items():
        suite.add_expectation(gxe.ExpectColumnValuesToBeInSet(column=col, value_set=allowed))
    for col in suite_def.ordered:
        suite.add_expectation(gxe.ExpectColumnValuesToBeInSet(column=col, value_set=[True]))
    suite = ctx.suites.add(suite)
    result = batch_def.get_batch(batch_parameters={"dataframe": frame}).validate(suite)
    failures = {}
    for r in result.results:
        if not r.success:
            cfg = r.expectation_config
            failures[f"{cfg.type}({cfg.kwargs.get('column')})"] = {
                "unexpected_count": r.result.get("unexpected_count"),
                "examples": [str(x) for x in (r.result.get("partial_unexpected_list") or [])[:5]],
            }
    return SuiteOutcome(bool(result.success), len(frame), dups, failures)
