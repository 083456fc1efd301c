"""The simulator's world store: one SQLite file per generated profile.

This module is the contract between the generator (which writes the store) and the HTTP
servers (which read it). Nothing here knows HTTP or payload formats beyond field values.

Versioning model
----------------
Every served entity table holds *versions* of records: a record that changes over the
simulated history (a ticket moving through statuses, a shift being worked, a 1C contract
amended, a sales document marked for deletion) has one row per version with
``valid_from`` / ``valid_to`` (UTC ISO-8601 text, ``valid_to`` NULL = still current). The
servers serve, for a simulated clock ``now``, the version with
``valid_from <= now < coalesce(valid_to, +inf)``; records whose first version starts after
``now`` do not exist yet. Advancing the world by a day is therefore just moving ``now``.
The generator produces the whole lifecycle up to ``meta.horizon_end`` (a buffer beyond the
profile's default ``now``) so the clock can be advanced without regenerating.

All timestamps are stored as UTC ISO-8601 text with milliseconds and a ``Z`` suffix
(``2026-03-15T15:05:17.568Z``), so that text order is time order. Dates are ``YYYY-MM-DD``.
Money and hours are stored as decimal text (``'1.50'``), never floats.

Fields named like the source contracts (docs/rules.md "Sources") keep their meaning;
columns marked *truth only* are never served, they are there for tests (e.g. an
employee's personnel number, which the help desk does not know).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

SCHEMA_VERSION = 1

DDL = """
create table if not exists meta (
    key text primary key,
    value text not null
    -- keys: schema_version, profile, seed, start (date), now (UTC ISO: default clock),
    --       horizon_end (UTC ISO: last moment generated), company_tz
);

-- ---------------------------------------------------------------- organisation (truth)
create table if not exists regions (
    id integer primary key, code text not null, name text not null, tz text not null
);
create table if not exists teams (            -- = help-desk groups
    id integer primary key, name text not null, region_id integer not null
);

-- ---------------------------------------------------------------- help desk
create table if not exists hd_employees (
    row_id integer primary key, id integer not null,
    valid_from text not null, valid_to text,
    last_name text not null, first_name text not null, patronymic text,
    position text, active integer not null, email text, login text not null,
    group_ids text not null,                  -- JSON array of team ids
    personnel_no text                         -- truth only
);
create table if not exists hd_companies (
    row_id integer primary key, id integer not null,
    valid_from text not null, valid_to text,
    name text not null, crm_1c_id text, active integer not null, inn text
);
create table if not exists hd_sites (          -- maintenance entities
    row_id integer primary key, id integer not null,
    valid_from text not null, valid_to text,
    name text not null, company_id integer not null, address text,
    lat text, lon text, timezone text not null, site_code text not null,
    updated_at text not null
);
create table if not exists hd_equipment (
    row_id integer primary key, id integer not null,
    valid_from text not null, valid_to text,
    serial_number text not null, inventory_number text,
    maintenance_entity_id integer, company_id integer,
    kind_code text, kind_name text, model_code text, model_name text,
    manufacturer_code text, manufacturer_name text
);
create table if not exists hd_issues (         -- one row per version of a ticket
    row_id integer primary key, id integer not null,
    valid_from text not null, valid_to text,
    title text not null, created_at text not null, updated_at text not null,
    completed_at text, deadline_at text, planned_reaction_at text, reacted_at text,
    delayed_to text, source text not null, company_id integer, service_object_id integer,
    equipment_ids text not null,              -- JSON array
    parent_id integer, assignee_id integer, group_id integer,
    type_code text, priority_code text not null, status_code text not null,
    rate text,                                -- bad / normal / good / NULL
    complexity text,                          -- '1'..'5' or NULL (missing mandatory field)
    escalated integer not null, vip_contact integer not null
);
create table if not exists hd_status_history (
    row_id integer primary key, id integer not null,
    valid_from text not null, valid_to text,
    issue_id integer not null, status_code text not null, changed_at text not null,
    author_id integer, updated_at text not null
);
create table if not exists hd_time_entries (
    row_id integer primary key, id integer not null,
    valid_from text not null, valid_to text,
    issue_id integer not null, spent_time text not null, logged_at text not null,
    updated_at text not null, employee_id integer not null, comment text,
    activity text not null
);

-- ---------------------------------------------------------------- schedule service
create table if not exists sch_shifts (
    row_id integer primary key, id text not null,   -- uuid
    valid_from text not null, valid_to text,
    personnel_no text not null, email text, shift_type text not null,
    planned_start text not null, planned_end text not null,
    actual_start text, actual_end text, status text not null,
    updated_at text not null, deleted integer not null
);

-- ---------------------------------------------------------------- 1C (values as 1C shows them)
create table if not exists onec_employees (       -- Catalog_Сотрудники
    row_id integer primary key, ref_key text not null,
    valid_from text not null, valid_to text,
    data_version text not null, deletion_mark integer not null, code text, description text,
    personnel_no text, email text, department text
);
create table if not exists onec_clients (         -- Catalog_Контрагенты
    row_id integer primary key, ref_key text not null,
    valid_from text not null, valid_to text,
    data_version text not null, deletion_mark integer not null, code text, description text,
    inn text
);
create table if not exists onec_contracts (       -- Catalog_ДоговорыКонтрагентов
    row_id integer primary key, ref_key text not null,
    valid_from text not null, valid_to text,
    data_version text not null, deletion_mark integer not null, code text, description text,
    owner_key text not null, start_date text not null,
    end_date text,                                -- NULL = open (served as 0001-01-01T00:00:00)
    monthly_fee text not null, included_hours text not null, overage_rate text not null,
    sla_level text
);
create table if not exists onec_bonus_coefficients (  -- InformationRegister_ПремиальныеКоэффициенты
    row_id integer primary key,
    valid_from text not null, valid_to text,
    period text not null,                          -- company-local naive ISO datetime
    code text not null, value text not null
);
create table if not exists onec_points (              -- InformationRegister_БаллыЗаВидыРабот
    row_id integer primary key,
    valid_from text not null, valid_to text,
    period text not null, work_type text not null, points text not null
);
create table if not exists onec_duty_tariffs (        -- InformationRegister_ТарифыДежурств
    row_id integer primary key,
    valid_from text not null, valid_to text,
    period text not null, shift_type text not null, rate text not null
);
create table if not exists onec_service_tariffs (     -- InformationRegister_ТарифыОбслуживания
    row_id integer primary key,
    valid_from text not null, valid_to text,
    period text not null, work_type text not null,
    client_rate text not null, engineer_cost text not null
);
create table if not exists onec_sales (               -- Document_РеализацияТоваровУслуг
    row_id integer primary key, ref_key text not null,
    valid_from text not null, valid_to text,
    data_version text not null, deletion_mark integer not null,
    number text not null, date text not null,       -- company-local naive ISO datetime
    posted integer not null, client_key text not null, contract_key text,
    amount text not null
);

-- ---------------------------------------------------------------- registry workbook (truth)
-- The workbook is rendered from these rows (as of the clock) with untidiness injected;
-- registry_expected_rejects lists the rows the generator deliberately made unreadable.
create table if not exists reg_sites (
    row_id integer primary key, site_code text not null,
    valid_from text not null, valid_to text,
    client_inn text, name text, address text, region text,
    lat text, lon text, area_m2 text, engineer_personnel_no text
);
create table if not exists reg_equipment (
    row_id integer primary key, serial_number text not null,
    valid_from text not null, valid_to text,
    site_code text, kind text, manufacturer text, model text,
    commissioned_on text, engineer_personnel_no text
);
"""

# Indexes the servers rely on for paging (by key or by updated_at) at the `large` profile.
INDEXES = """
create index if not exists ix_hd_employees_id on hd_employees (id, valid_from);
create index if not exists ix_hd_companies_id on hd_companies (id, valid_from);
create index if not exists ix_hd_sites_id on hd_sites (id, valid_from);
create index if not exists ix_hd_equipment_id on hd_equipment (id, valid_from);
create index if not exists ix_hd_issues_id on hd_issues (id, valid_from);
create index if not exists ix_hd_issues_upd on hd_issues (updated_at, id, valid_from, valid_to);
create index if not exists ix_hd_status_history_id on hd_status_history (id, valid_from);
create index if not exists ix_hd_status_history_upd on hd_status_history (updated_at, id);
create index if not exists ix_hd_time_entries_id on hd_time_entries (id, valid_from);
create index if not exists ix_hd_time_entries_upd on hd_time_entries (updated_at, id);
create index if not exists ix_hd_time_entries_issue on hd_time_entries (issue_id);
create index if not exists ix_sch_shifts_upd on sch_shifts (updated_at, id);
create index if not exists ix_sch_shifts_person on sch_shifts (personnel_no, planned_start);
create index if not exists ix_onec_employees_ref on onec_employees (ref_key, valid_from);
create index if not exists ix_onec_clients_ref on onec_clients (ref_key, valid_from);
create index if not exists ix_onec_contracts_ref on onec_contracts (ref_key, valid_from);
create index if not exists ix_onec_sales_ref on onec_sales (ref_key, valid_from);
"""

VERSIONED_TABLES = (
    "hd_employees", "hd_companies", "hd_sites", "hd_equipment", "hd_issues",
    "hd_status_history", "hd_time_entries", "sch_shifts", "onec_employees", "onec_clients",
    "onec_contracts", "onec_bonus_coefficients", "onec_points", "onec_duty_tariffs",
    "onec_service_tariffs", "onec_sales", "reg_sites", "reg_equipment",
)


def as_of_clause(alias: str = "") -> str:
    """SQL condition selecting the version valid at the bound parameter ``:now``."""
    p = f"{alias}." if alias else ""
    return f"{p}valid_from <= :now and ({p}valid_to is null or {p}valid_to > :now)"


def connect(path: str | Path, *, readonly: bool = False) -> sqlite3.Connection:
    path = Path(path)
    if readonly:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
    else:
        conn = sqlite3.connect(path, check_same_thread=False)
        conn.execute("pragma journal_mode = wal")
        conn.execute("pragma synchronous = off")
    conn.row_factory = sqlite3.Row
    return conn


def create_schema(conn: sqlite3.Connection) -> None:
    conn.executescript(DDL)
    conn.execute(
        "insert or replace into meta (key, value) values ('schema_version', ?)", (str(SCHEMA_VERSION),)
    )


def create_indexes(conn: sqlite3.Connection) -> None:
    conn.executescript(INDEXES)


def read_meta(conn: sqlite3.Connection) -> dict[str, str]:
    return {row["key"]: row["value"] for row in conn.execute("select key, value from meta")}
