"""Weekly series from the marts: created tickets and logged work hours.

Company, per region and per team (teams need `min_team_weeks` of history). Weeks are ISO
weeks (Monday start) in the company zone; only complete weeks are kept: the week holding
the first day of data counts only if that day is its Monday, and the last week is the one
that ended before the data's `as_of` (the latest event in the marts unless set). Weeks with
no events inside a series' span are zeros.

Region and team of a ticket: its help-desk group (`fct_tickets.team_id`) and the region of
that team's engineers (the most common one); a ticket without a team falls back to its
engineer's region. Work hours belong to the engineer's team and region
(`dim_engineers`); hours of unmatched people count for the company only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import pandas as pd
import psycopg

from forecasts.calendar import first_complete_week, last_complete_week
from forecasts.settings import ForecastSettings

METRICS = ("tickets", "hours")
LEVELS = ("company", "region", "team")


@dataclass(frozen=True)
class Series:
    """One weekly series: `values` indexed by week-start Timestamps, every week present."""

    metric: str
    level: str
    key: str | None
    label: str
    values: pd.Series
    # ISO country the series belongs to (its holidays apply); None: unknown, no holiday candidate
    country: str | None = None

    @property
    def name(self) -> str:
        return series_name(self.metric, self.level, self.key)


def series_name(metric: str, level: str, key: str | None) -> str:
    """`tickets:company`, `hours:region:MSK`, `tickets:team:12`."""
    return f"{metric}:{level}" if level == "company" else f"{metric}:{level}:{key}"


@dataclass
class SeriesSet:
    as_of: datetime
    last_week: date
    series: list[Series] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (series, reason)


_ORG = """
team_regions as (
    select team_id::text as team_id,
           mode() within group (order by region_code) as region_code,
           mode() within group (order by team_name) as team_name
    from marts.dim_engineers
    where team_id is not null
    group by team_id::text
)"""

_EVENTS = {
    "tickets": f"""
with {_ORG},
events as (
    select t.created_at as ts,
           t.team_id::text as team_id,
           coalesce(tr.region_code, e.region_code) as region_code,
           1::numeric as amount
    from marts.fct_tickets t
    left join team_regions tr on tr.team_id = t.team_id::text
    left join marts.dim_engineers e on e.personnel_no = t.personnel_no
    where t.created_at is not null
)""",
    "hours": """
with events as (
    select te.logged_at as ts,
           e.team_id::text as team_id,
           e.region_code as region_code,
           te.hours::numeric as amount
    from marts.fct_time_entries te
    left join marts.dim_engineers e on e.personnel_no = te.personnel_no
    where te.logged_at is not null and te.hours is not null
)""",
}

_REQUIRED = {
    "marts.fct_tickets": ("created_at", "team_id", "personnel_no"),
    "marts.fct_time_entries": ("logged_at", "hours", "personnel_no"),
    "marts.dim_engineers": ("personnel_no", "team_id", "team_name", "region_code", "region_name"),
}


def check_inputs(conn: psycopg.Connection) -> None:
    """Fail with the missing table or column named, before any work."""
    missing: list[str] = []
    for table, columns in _REQUIRED.items():
        schema, name = table.split(".")
        rows = conn.execute(
            "select column_name from information_schema.columns where table_schema = %s and table_name = %s",
            (schema, name),
        ).fetchall()
        have = {r[0] for r in rows}
        if not have:
            missing.append(f"table {table}")
        else:
            missing += [f"{table}.{c}" for c in columns if c not in have]
    if missing:
        raise RuntimeError(
            "forecasts need the dbt marts; missing: " + ", ".join(missing) + " (run the dbt assets first)"
        )


def data_span(conn: psycopg.Connection, tz: str) -> dict[str, tuple[date | None, datetime | None]]:
    """Per metric: (first local date with data, latest event timestamp)."""
    span: dict[str, tuple[date | None, datetime | None]] = {}
    for metric, cte in _EVENTS.items():
        row = conn.execute(
            cte + " select min((ts at time zone %(tz)s)::date), max(ts) from events", {"tz": tz}
        ).fetchone()
        span[metric] = (row[0], row[1]) if row else (None, None)
    return span


def _weekly_rows(conn: psycopg.Connection, metric: str, tz: str, start: date, end: date) -> pd.DataFrame:
    sql = _EVENTS[metric] + """
, weekly as (
    select date_trunc('week', ts at time zone %(tz)s)::date as week_start, region_code, team_id, amount
    from events
    where ts >= (%(start)s::timestamp at time zone %(tz)s)
      and ts < (%(end)s::timestamp at time zone %(tz)s)
)
select week_start,
       case when grouping(region_code) = 0 then 'region'
            when grouping(team_id) = 0 then 'team' else 'company' end as level,
       coalesce(region_code, team_id) as key,
       sum(amount)::float8 as value
from weekly
group by grouping sets ((week_start), (week_start, region_code), (week_start, team_id))
"""
    rows = conn.execute(sql, {"tz": tz, "start": start, "end": end}).fetchall()
    frame = pd.DataFrame(rows, columns=["week_start", "level", "key", "value"])
    # a null region/team inside its grouping set is "unknown": it counts for the company only
    return frame[(frame["level"] == "company") | frame["key"].notna()]


def _labels(conn: psycopg.Connection) -> dict[tuple[str, str], str]:
    rows = conn.execute(
        f"""with {_ORG}
        select 'team', team_id, coalesce(team_name, team_id) from team_regions
        union all
        select 'region', region_code, mode() within group (order by region_name)
        from marts.dim_engineers where region_code is not null group by region_code"""
    ).fetchall()
    return {(level, key): label or key for level, key, label in rows}


def load_series(conn: psycopg.Connection, settings: ForecastSettings) -> SeriesSet:
    """Every series the run forecasts, plus the ones skipped and why."""
    check_inputs(conn)
    tz = settings.company_tz
    span = data_span(conn, tz)
    latest = [ts for _, ts in span.values() if ts is not None]
    as_of = settings.as_of or (max(latest) if latest else datetime.now(settings.zone))
    if as_of.tzinfo is None:
        as_of = as_of.replace(tzinfo=settings.zone)
    last = last_complete_week(as_of, settings.zone)
    out = SeriesSet(as_of=as_of, last_week=last)
    labels = _labels(conn)
    for metric in METRICS:
        first_day, _ = span[metric]
        if first_day is None:
            out.skipped.append((series_name(metric, "company", None), "no rows in the marts"))
            continue
        first = first_complete_week(first_day)
        if first > last:
            out.skipped.append((series_name(metric, "company", None), "no complete week of data yet"))
            continue
        rows = _weekly_rows(conn, metric, tz, first, last + timedelta(days=7))
        weeks = pd.date_range(pd.Timestamp(first), pd.Timestamp(last), freq="W-MON")
        groups = [("company", None)] + sorted(
            {(lv, k) for lv, k in zip(rows["level"], rows["key"], strict=True) if lv != "company"},
            key=lambda g: (LEVELS.index(g[0]), str(g[1])),
        )
        for level, key in groups:
            part = rows[(rows["level"] == level) & ((rows["key"] == key) if key is not None else True)]
            values = pd.Series(
                part["value"].to_numpy(), index=pd.DatetimeIndex(pd.to_datetime(part["week_start"]))
            ).reindex(weeks, fill_value=0.0)
            values.index.name = "week_start"
            nonzero = values[values != 0]
            name = series_name(metric, level, key)
            if nonzero.empty:
                out.skipped.append((name, "no events in complete weeks"))
                continue
            values = values[nonzero.index[0]:]
            need = settings.min_team_weeks if level == "team" else settings.min_train_weeks
            if len(values) < need:
                out.skipped.append((name, f"{len(values)} complete weeks of history, {need} needed"))
                continue
            if level != "company" and (values.iloc[-4:] == 0).all():
                out.skipped.append((name, "no events in the last 4 complete weeks"))
                continue
            label = "Компания" if level == "company" else labels.get((level, str(key)), str(key))
            out.series.append(Series(metric, level, key, label, values.astype(float), settings.company_country))
    return out
