"""Great Expectations 1.x suites on the raw tables, run in PostgreSQL through GX's SQL datasource.

A suite's batch is a query asset over its raw table: a few columns pulled out of the payload
by SQL, for the rows in scope. Scope: the current version of every record (a full run, or a
check run on its own), or only the rows some loads appended (the nightly passes the loads of
its run, `loads_of_run`). Every rule is an `UnexpectedRowsExpectation`, a query that returns
the offending rows, so GX runs it in the database and brings back only a sample of them:
- keys unique per version (`dup_versions`: rows that repeat a version; incremental feeds: the
  same key and payload hash twice; full reloads: a key twice in one load),
- mandatory fields present,
- codes in their dictionaries,
- timestamps in order.
GX is imported lazily (it is slow to import).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg

from extractors.common.raw import EntitySpec
from extractors.sources import all_specs
from warehouse import libpq_url, sqlalchemy_url

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
    columns: str  # select list over one raw row `r` (keys first); the batch's columns
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


def _quote(value: Any) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _spec(table: str) -> EntitySpec:
    return next(s for s in all_specs() if f"{s.schema}.{s.table}" == table)


def suite_of(table: str) -> Suite:
    """The table's suite; a registered table without one of its own gets the keys' rules
    (unique per version, present), so every source has a check from its first day."""
    if table in SUITES:
        return SUITES[table]
    keys = tuple(_spec(table).key_names)
    return Suite(table, ", ".join(keys), keys)


def loads_of_run(db_url: str, table: str, run_id: str) -> list[int]:
    """The loads (raw_meta.loads) a run made of `table`: every attempt, failed ones included,
    since an incremental load commits its batches as it goes."""
    spec = _spec(table)
    with psycopg.connect(libpq_url(db_url)) as conn:
        rows = conn.execute("select load_id from raw_meta.loads where run_id = %s and source = %s and entity = %s"
                            " order by load_id", (run_id, spec.source, spec.table)).fetchall()
    return [int(r[0]) for r in rows]


def _in_loads(load_ids: Sequence[int]) -> str:
    return f"_load_id in ({', '.join(str(int(i)) for i in load_ids) or 'null'})"


def batch_query(table: str, load_ids: Sequence[int] | None = None) -> str:
    """The records batch: the suite's columns over the current version of every record
    (`load_ids` None) or over the rows the given loads appended (vanished markers left out)."""
    spec, suite = _spec(table), suite_of(table)
    keys = ", ".join(spec.key_names)
    if load_ids is None:
        rows = (f"(select distinct on ({keys}) * from {table}"
                f" order by {keys}, _load_id desc, _vanished_at desc nulls last) r")
        return f"select _load_id, {suite.columns} from {rows} where r._vanished_at is null"
    return f"select _load_id, {suite.columns} from {table} r where r.{_in_loads(load_ids)} and r._vanished_at is null"


def _version(spec: EntitySpec) -> str:
    # a version: the key and payload hash (incremental feeds), the key within one load (full reloads)
    return "_load_id" if spec.full_reload else "_payload_hash"


def versions_query(table: str, load_ids: Sequence[int] | None = None) -> str:
    """The versions batch: every stored row (a repeated version is usually an old one), or on
    the nightly every row of the versions the given loads appended."""
    spec = _spec(table)
    keys, version = ", ".join(spec.key_names), _version(spec)
    cols = f"{keys}, _load_id, _payload_hash"
    if load_ids is None:
        return f"select {cols} from {table}"
    return (f"select {cols} from {table} where ({keys}, {version}) in"
            f" (select {keys}, {version} from {table} where {_in_loads(load_ids)})")


DUP_RULE = "keys unique per version"
ROWS = "rows in scope"


def dup_query(table: str) -> str:
    """Rows of the versions batch that repeat a version: their count is `dup_versions`."""
    spec = _spec(table)
    keys = ", ".join(spec.key_names)
    return (f"select {keys}, _load_id from (select {keys}, _load_id, row_number() over"
            f" (partition by {keys}, {_version(spec)} order by _load_id) as copy_no from {{batch}}) v"
            f" where copy_no > 1 order by {keys}, _load_id")


def _flags(cases: dict[str, str]) -> tuple[str, str]:
    """(`concat_ws` of the names whose condition holds, the conditions or-ed) for one rule."""
    names = "concat_ws('+', " + ", ".join(f"case when {cond} then {_quote(name)} end"
                                           for name, cond in cases.items()) + ")"
    return names, " or ".join(f"({cond})" for cond in cases.values())


def rule_queries(table: str) -> dict[str, str]:
    """The suite's row rules on the records batch, each an unexpected-rows query."""
    spec, suite = _spec(table), suite_of(table)
    keys = ", ".join(spec.key_names)
    names, where = _flags({c: f"{c} is null" for c in suite.not_null})
    queries = {"mandatory fields present":
               f"select {keys}, {names} as missing from {{batch}} where {where} order by {keys}"}
    if suite.in_set:  # as ExpectColumnValuesToBeInSet: a null is not an unknown code
        names, where = _flags({c: f"{c} is not null and {c}::text not in ({', '.join(map(_quote, allowed))})"
                               for c, allowed in suite.in_set.items()})
        queries["codes in their dictionaries"] = (
            f"select {keys}, {names} as unknown, {', '.join(suite.in_set)} from {{batch}} where {where}"
            f" order by {keys}")
    if suite.ordered:  # null (a timestamp not there) is not out of order
        names, where = _flags({c: f"{c} is false" for c in suite.ordered})
        queries["timestamps in order"] = (
            f"select {keys}, {names} as out_of_order from {{batch}} where {where} order by {keys}")
    return queries


@dataclass
class SuiteOutcome:
    success: bool
    rows: int  # rows in the batch
    dup_versions: int
    failures: dict[str, Any]  # rule -> {unexpected_count, examples}
    scope: str = "current versions"
    load_ids: list[int] = field(default_factory=list)

    def describe(self, table: str) -> str:
        """One line per failed rule, with a few offending rows; or what passed."""
        head = f"{table}, {self.rows} rows ({self.scope})"
        if self.success:
            return f"{head}: every rule holds"
        lines = [f"{head}: {len(self.failures)} rule(s) failed"]
        for rule, f in self.failures.items():
            if f["unexpected_count"] is None:
                lines.append(f"- {rule}: could not run: {'; '.join(f['examples'])}")
            else:
                lines.append(f"- {rule}: {f['unexpected_count']} row(s), e.g. {'; '.join(f['examples'])}")
        return "\n".join(lines)


def _example(row: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in row.items() if v not in (None, ""))


def _errors(info: dict[str, Any] | None) -> list[str]:
    """Exception messages of a result: GX nests them per metric when a metric's query failed."""
    if not info:
        return []
    found = [info] if "exception_message" in info else [v for v in info.values() if isinstance(v, dict)]
    return [str(e.get("exception_message")).splitlines()[0] for e in found
            if e.get("raised_exception") or e.get("exception_message")]


def validate(db_url: str, table: str, load_ids: Sequence[int] | None = None) -> SuiteOutcome:
    """Run the table's suite in the database: over the current version of every record, or
    (`load_ids`) over the rows those loads appended. The outcome lists each failed rule with
    its count and a few offending rows."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations as gx
    import great_expectations.expectations as gxe
    from great_expectations.data_context.types.base import ProgressBarsConfig

    ctx = gx.get_context(mode="ephemeral")
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False)  # no bars in the run log
    source = ctx.data_sources.add_postgres("raw", connection_string=sqlalchemy_url(db_url))
    # two batches of one table: its records (the row rules) and its stored versions (dup_versions)
    runs = [(batch_query(table, load_ids), rule_queries(table), "records"),
            (versions_query(table, load_ids), {DUP_RULE: dup_query(table)}, "versions")]
    failures: dict[str, Any] = {}
    success, rows, dups = True, 0, 0
    for query, rules, name in runs:
        batch = source.add_query_asset(f"{table} {name}", query=query).add_batch_definition_whole_table(
            "scope").get_batch()
        expectations = [gxe.UnexpectedRowsExpectation(unexpected_rows_query=q, description=rule)
                        for rule, q in rules.items()]
        if name == "records":  # no bound: it reports how many rows the rules read
            expectations.append(gxe.ExpectTableRowCountToBeBetween(min_value=0, description=ROWS))
        suite = ctx.suites.add(gx.ExpectationSuite(name=f"{table} {name}", expectations=expectations))
        result = batch.validate(suite, result_format="COMPLETE")
        success = success and bool(result.success)
        for r in result.results:
            rule = r.expectation_config.description
            count = int(r.result.get("observed_value") or 0)
            if rule == ROWS:
                rows = count
            elif rule == DUP_RULE:
                dups = count
            errors = _errors(r.exception_info)
            if errors:  # the query did not run: the rule failed, with the database's message
                failures[rule] = {"unexpected_count": None, "examples": errors[:1]}
            elif not r.success:
                sample = (r.result.get("details") or {}).get("unexpected_rows") or []
                failures[rule] = {"unexpected_count": count, "examples": [_example(dict(x)) for x in sample[:5]]}
    scope = "current versions" if load_ids is None else f"loaded by this run: loads {', '.join(map(str, load_ids))}"
    return SuiteOutcome(success, rows, dups, failures, scope, list(load_ids or []))
