"""The raw layer: table specs, DDL, and the COPY-based append-only loader.

Each entity table holds its typed key column(s), a few typed columns (`updated_at`, ...),
`payload jsonb` (the record exactly as received), `_payload_hash` (sha256 of the canonical
payload), `_load_id`, `_loaded_at` and `_vanished_at`.

Two ways a version row is appended:
- incremental feeds (`full_reload=False`): a record is new when no row with the same key and
  payload hash exists (unique index on key + hash): overlapping re-reads insert nothing;
- full reloads (`full_reload=True`: help-desk dictionaries, 1C, registry): a record is new when
  it differs from the latest row of its key (so a revert A -> B -> A is three rows), and a key
  missing from a complete reload gets a `_vanished_at` row (never a delete).
Rows arrive by COPY into a temporary stage table, then one set-based insert.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import orjson
import psycopg
from psycopg import sql


@dataclass(frozen=True)
class Column:
    name: str
    pgtype: str


@dataclass(frozen=True)
class EntitySpec:
    source: str
    table: str
    keys: tuple[Column, ...]
    extra: tuple[Column, ...] = ()
    full_reload: bool = False
    description: str = ""
    # a typed column whose values a load can read completely (all time entries of one issue):
    # `RawWriter.write(complete_scopes=...)` marks the keys of a value it no longer sees vanished
    vanish_scope: str | None = None

    @property
    def schema(self) -> str:
        return f"raw_{self.source}"

    @property
    def name(self) -> str:
        return f"{self.source}.{self.table}"

    @property
    def typed(self) -> tuple[Column, ...]:
        return self.keys + self.extra

    @property
    def key_names(self) -> list[str]:
        return [c.name for c in self.keys]

    def ident(self) -> sql.Composed:
        return sql.SQL("{}.{}").format(sql.Identifier(self.schema), sql.Identifier(self.table))


@dataclass(frozen=True)
class OwnTable:
    """A raw table a source owns that no load writes (a receiver does: the help desk's webhook
    events): created with the entity tables, by its own DDL (idempotent statements)."""

    name: str  # schema.table
    ddl: str


@dataclass
class RawRecord:
    """One validated record: typed column values (in `spec.typed` order) and the payload as received."""

    values: tuple[Any, ...]
    payload: dict[str, Any]
    hash_payload: dict[str, Any] | None = None  # what the hash covers, if not the whole payload

    def payload_json(self) -> str:
        return canonical_json(self.payload)

    def payload_hash(self, payload_json: str | None = None) -> str:
        if self.hash_payload is not None:
            return payload_hash(self.hash_payload)
        text = payload_json if payload_json is not None else canonical_json(self.payload)
        return hashlib.sha256(text.encode()).hexdigest()

    def copy_line(self) -> bytes:
        """`typed values<TAB>payload<TAB>hash<TAB>` in COPY text format (the stage's `_seq`
        follows). The same payload text and hash as `payload_json()` / `payload_hash()`."""
        data = orjson.dumps(self.payload, option=orjson.OPT_SORT_KEYS, default=_default)
        digest = (hashlib.sha256(data) if self.hash_payload is None
                  else hashlib.sha256(canonical_bytes(self.hash_payload))).hexdigest()
        values = b"\t".join([_COPY_FORMAT.get(type(v), _copy_other)(v) for v in self.values])
        # orjson escapes every control character, so a backslash is all COPY text needs escaped
        return b"%b\t%b\t%b\t" % (values, data.replace(b"\\", b"\\\\"), digest.encode())


@dataclass
class Reject:
    entity: str
    source_key: str | None
    reason: str
    raw_text: str
    sheet: str | None = None
    row_number: int | None = None
    column_name: str | None = None

    def hash(self) -> str:
        text = "\x1f".join(
            str(x) for x in (self.raw_text, self.reason, self.sheet, self.row_number, self.column_name)
        )
        return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class BatchResult:
    seen: int = 0
    inserted: int = 0
    rejected: int = 0
    vanished: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def add(self, other: BatchResult) -> None:
        self.seen += other.seen
        self.inserted += other.inserted
        self.rejected += other.rejected
        self.vanished += other.vanished


def _default(value: Any) -> str:
    return str(value)


def canonical_json(obj: Any) -> str:
    """Sorted keys, no spaces, UTF-8 as is (orjson: the hot path of every load)."""
    return orjson.dumps(obj, option=orjson.OPT_SORT_KEYS, default=_default).decode()


def canonical_bytes(obj: Any) -> bytes:
    """`canonical_json(obj).encode()`, without the round trip through str."""
    return orjson.dumps(obj, option=orjson.OPT_SORT_KEYS, default=_default)


def payload_hash(obj: Any) -> str:
    return hashlib.sha256(canonical_bytes(obj)).hexdigest()


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"})


def _copy_other(value: Any) -> bytes:
    """A typed value in PostgreSQL's COPY text format (the types `_COPY_FORMAT` does not list)."""
    if isinstance(value, bool):
        return b"t" if value else b"f"
    if isinstance(value, int):
        return b"%d" % value
    if isinstance(value, datetime | date):
        return value.isoformat().encode()
    return str(value).translate(_COPY_ESCAPES).encode()


def _iso_datetime(value: datetime) -> bytes:
    """RFC 3339 text (orjson's is ~3x cheaper than `isoformat()`; the same instant for PostgreSQL)."""
    try:
        return orjson.dumps(value)[1:-1]
    except orjson.JSONEncodeError:  # a tzinfo orjson cannot read
        return value.isoformat().encode()


_COPY_FORMAT: dict[type, Any] = {
    type(None): lambda _v: b"\\N",
    bool: lambda v: b"t" if v else b"f",
    int: lambda v: b"%d" % v,
    datetime: lambda v: _iso_datetime(v),
    str: lambda v: v.translate(_COPY_ESCAPES).encode(),
}


# ------------------------------------------------------------------------------------ DDL
META_DDL = """
create schema if not exists raw_meta;
create table if not exists raw_meta.loads (
    load_id bigserial primary key,
    run_id text,
    source text not null,
    entity text not null,
    started_at timestamptz not null default now(),
    finished_at timestamptz,
    cursor_before text,
    cursor_after text,
    rows_seen bigint not null default 0,
    rows_inserted bigint not null default 0,
    rows_rejected bigint not null default 0,
    rows_vanished bigint not null default 0,
    status text not null default 'running' check (status in ('running', 'success', 'failed')),
    error text
);
create index if not exists loads_source_entity_ix on raw_meta.loads (source, entity, load_id desc);
"""


def schema_ddl(source: str) -> sql.Composed:
    schema = sql.Identifier(f"raw_{source}")
    return sql.SQL(
        """
create schema if not exists {schema};
create table if not exists {schema}.rejects (
    reject_id bigserial primary key,
    entity text not null,
    source_key text,
    reason text not null,
    raw_text text not null,
    sheet text,
    row_number integer,
    column_name text,
    _reject_hash text not null,
    _load_id bigint not null,
    _loaded_at timestamptz not null default now()
);
create unique index if not exists rejects_once_uq on {schema}.rejects (entity, _reject_hash);
"""
    ).format(schema=schema)


def table_ddl(spec: EntitySpec) -> sql.Composed:
    cols = [
        sql.SQL("{} {}{}").format(
            sql.Identifier(c.name), sql.SQL(c.pgtype), sql.SQL(" not null" if c in spec.keys else "")
        )
        for c in spec.typed
    ]
    cols += [
        sql.SQL("payload jsonb not null"),
        sql.SQL("_payload_hash text not null"),
        sql.SQL("_load_id bigint not null"),
        sql.SQL("_loaded_at timestamptz not null default now()"),
        sql.SQL("_vanished_at timestamptz"),
    ]
    keys = sql.SQL(", ").join(sql.Identifier(k) for k in spec.key_names)
    stmts = [
        sql.SQL("create table if not exists {t} ({cols})").format(t=spec.ident(), cols=sql.SQL(", ").join(cols)),
        sql.SQL("create index if not exists {ix} on {t} ({keys}, _load_id)").format(
            ix=sql.Identifier(f"{spec.table}_key_load_ix"), t=spec.ident(), keys=keys
        ),
        # incremental readers (dbt) take rows by load
        sql.SQL("create index if not exists {ix} on {t} (_load_id)").format(
            ix=sql.Identifier(f"{spec.table}_load_ix"), t=spec.ident()
        ),
    ]
    if spec.vanish_scope:
        stmts.append(sql.SQL("create index if not exists {ix} on {t} ({scope}, {keys})").format(
            ix=sql.Identifier(f"{spec.table}_scope_ix"), t=spec.ident(), scope=sql.Identifier(spec.vanish_scope),
            keys=keys))
    if not spec.full_reload:
        stmts.append(
            sql.SQL("create unique index if not exists {ix} on {t} ({keys}, _payload_hash) where _vanished_at is null").format(
                ix=sql.Identifier(f"{spec.table}_version_uq"), t=spec.ident(), keys=keys
            )
        )
    return sql.SQL(";\n").join(stmts)


def ensure_raw_schema(conn: psycopg.Connection, specs: Sequence[EntitySpec],
                      own_tables: Sequence[OwnTable] = ()) -> None:
    """Create raw_meta and every schema/table of `specs` (idempotent, serialised by a lock).

    The DDL runs only when its text changed since it was last applied (`raw_meta.ddl_applied`
    keeps the digests): even a `create index if not exists` on an existing index takes a SHARE
    lock on its table, and taken while another process's load holds `raw_meta.loads` and waits
    for that table, the two deadlocked (seen with the extraction processes of one run and with
    Dagster's concurrent asset steps)."""
    statements = [META_DDL, *(schema_ddl(source) for source in sorted({s.source for s in specs})),
                  *(table_ddl(spec) for spec in specs), *(t.ddl for t in own_tables)]
    text = "\n;\n".join(st.as_string(conn) if isinstance(st, sql.Composable) else st for st in statements)
    digest = hashlib.sha256(text.encode()).hexdigest()
    # and every table still there (a dropped schema is created again)
    tables = ["raw_meta.loads", "raw_meta.ddl_applied", *(f"raw_{s}.rejects" for s in {sp.source for sp in specs}),
              *(f"{spec.schema}.{spec.table}" for spec in specs), *(t.name for t in own_tables)]
    with conn.transaction():
        row = conn.execute(
            "select bool_and(to_regclass(t) is not null) from unnest(%s::text[]) as t", (tables,)).fetchone()
        if row and row[0] and conn.execute("select 1 from raw_meta.ddl_applied where digest = %s",
                                           (digest,)).fetchone():
            return
    with conn.transaction():
        conn.execute("select pg_advisory_xact_lock(hashtext('extractors:ddl'))")
        for statement in statements:
            conn.execute(statement)
        conn.execute("create table if not exists raw_meta.ddl_applied"
                     " (digest text primary key, applied_at timestamptz not null default now())")
        conn.execute("insert into raw_meta.ddl_applied (digest) values (%s) on conflict do nothing", (digest,))


# ------------------------------------------------------------------------------------ loader
STAGE = "_stage"


class RawWriter:
    """Writes one entity's records of one load through a temporary stage table.

    Incremental: `write(records, rejects, cursor_after)` copies, inserts and advances the
    cursor in one transaction. Full reload: `stage(records)` only copies into the stage
    (kept for the session); `finish_full_reload()` inserts, marks vanished keys and commits.
    """

    def __init__(self, conn: psycopg.AsyncConnection, spec: EntitySpec, load_id: int, max_vanish_share: float = 0.5):
        self.conn = conn
        self.spec = spec
        self.load_id = load_id
        self.max_vanish_share = max_vanish_share
        self._stage_ready = False
        self._seq = 0

    async def _ensure_stage(self) -> None:
        if self._stage_ready:
            return
        cols = [sql.SQL("{} {}").format(sql.Identifier(c.name), sql.SQL(c.pgtype)) for c in self.spec.typed]
        cols += [sql.SQL("payload jsonb"), sql.SQL("_payload_hash text"), sql.SQL("_seq bigint")]
        await self.conn.execute(
            sql.SQL("create temporary table if not exists {s} ({cols})").format(
                s=sql.Identifier(STAGE), cols=sql.SQL(", ").join(cols)
            )
        )
        await self.conn.execute(sql.SQL("truncate {s}").format(s=sql.Identifier(STAGE)))
        self._stage_ready = True

    async def _copy(self, records: Sequence[RawRecord]) -> None:
        names = [c.name for c in self.spec.typed] + ["payload", "_payload_hash", "_seq"]
        stmt = sql.SQL("copy {s} ({cols}) from stdin").format(
            s=sql.Identifier(STAGE), cols=sql.SQL(", ").join(sql.Identifier(n) for n in names)
        )
        # one block of COPY text per batch: no per-row adaptation in psycopg
        first = self._seq + 1
        self._seq += len(records)
        block = b"".join(b"%b%d\n" % (rec.copy_line(), seq) for seq, rec in enumerate(records, first))
        async with self.conn.cursor().copy(stmt) as copy:
            await copy.write(block)

    async def _insert_rejects(self, rejects: Sequence[Reject]) -> int:
        if not rejects:
            return 0
        rejects = list({r.hash(): r for r in rejects}.values())
        async with self.conn.cursor() as cur:
            await cur.executemany(
                sql.SQL(
                    "insert into {s}.rejects (entity, source_key, reason, raw_text, sheet, row_number, column_name,"
                    " _reject_hash, _load_id) values (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
                    " on conflict (entity, _reject_hash) do nothing"
                ).format(s=sql.Identifier(self.spec.schema)),
                [
                    (r.entity, r.source_key, r.reason, r.raw_text, r.sheet, r.row_number, r.column_name,
                     r.hash(), self.load_id)
                    for r in rejects
                ],
            )
        return len(rejects)

    def _cols(self, prefix: str = "") -> sql.Composable:
        names = [c.name for c in self.spec.typed] + ["payload", "_payload_hash"]
        return sql.SQL(", ").join(sql.SQL(prefix) + sql.Identifier(n) for n in names)

    def _key_match(self, a: str, b: str) -> sql.Composable:
        return sql.SQL(" and ").join(
            sql.SQL("{a}.{k} = {b}.{k}").format(a=sql.Identifier(a), b=sql.Identifier(b), k=sql.Identifier(k))
            for k in self.spec.key_names
        )

    async def _update_load(self, seen: int, inserted: int, rejected: int, vanished: int, cursor_after: str | None) -> None:
        await self.conn.execute(
            "update raw_meta.loads set rows_seen = rows_seen + %s, rows_inserted = rows_inserted + %s,"
            " rows_rejected = rows_rejected + %s, rows_vanished = rows_vanished + %s,"
            " cursor_after = coalesce(%s, cursor_after) where load_id = %s",
            (seen, inserted, rejected, vanished, cursor_after, self.load_id),
        )

    async def write(self, records: Sequence[RawRecord], rejects: Sequence[Reject], cursor_after: str | None,
                    complete_scopes: Sequence[Any] = ()) -> BatchResult:
        """Incremental: append new versions, record rejects and advance the cursor atomically.

        `complete_scopes`: values of the spec's `vanish_scope` column for which `records` are
        everything the source has now; a stored key of such a value missing from them gets a
        `_vanished_at` row, as a full reload records one (a key that reappears with the very
        payload it vanished with stays vanished: its version is stored already)."""
        assert not self.spec.full_reload
        assert not complete_scopes or self.spec.vanish_scope
        await self._ensure_stage()
        keys = sql.SQL(", ").join(sql.Identifier(k) for k in self.spec.key_names)
        async with self.conn.transaction():
            await self.conn.execute(sql.SQL("truncate {s}").format(s=sql.Identifier(STAGE)))
            if records:
                await self._copy(records)
            cur = await self.conn.execute(
                # insert-where-not-exists through the unique version index: a version already
                # stored, or repeated within the batch, is skipped by ON CONFLICT DO NOTHING
                sql.SQL(
                    "insert into {t} ({cols}, _load_id) "
                    "select {cols}, %s from {s} s order by _seq "
                    "on conflict ({keys}, _payload_hash) where _vanished_at is null do nothing"
                ).format(t=self.spec.ident(), cols=self._cols(), keys=keys, s=sql.Identifier(STAGE)),
                (self.load_id,),
            )
            inserted = cur.rowcount
            vanished = await self._vanish_in_scopes(complete_scopes) if complete_scopes else 0
            rejected = await self._insert_rejects(rejects)
            await self._update_load(len(records) + len(rejects), inserted, rejected, vanished, cursor_after)
        return BatchResult(seen=len(records) + len(rejects), inserted=inserted, rejected=rejected, vanished=vanished)

    async def _vanish_in_scopes(self, scopes: Sequence[Any]) -> int:
        """Within the current transaction: vanished rows for the live keys of `scopes` that the
        stage lacks (the same guard against a partial answer as a full reload's)."""
        keys = sql.SQL(", ").join(sql.Identifier(k) for k in self.spec.key_names)
        t, s = self.spec.ident(), sql.Identifier(STAGE)
        latest = sql.SQL(
            "select distinct on ({keys}) * from {t} where {scope} = any(%(scopes)s)"
            " order by {keys}, _load_id desc, _vanished_at desc nulls last"
        ).format(keys=keys, t=t, scope=sql.Identifier(self.spec.vanish_scope or ""))
        missing_sql = sql.SQL("from latest l where l._vanished_at is null and not exists"
                              " (select 1 from {s} i where {match})").format(s=s, match=self._key_match("l", "i"))
        params = {"scopes": list(scopes), "load_id": self.load_id}
        cur = await self.conn.execute(
            sql.SQL("with latest as ({latest}) select count(*) filter (where l._vanished_at is null),"
                    " (select count(*) {missing}) from latest l").format(latest=latest, missing=missing_sql), params)
        live, missing = await cur.fetchone()  # type: ignore[misc]
        if not missing:
            return 0
        if live >= 10 and missing > self.max_vanish_share * live:
            raise RuntimeError(
                f"{self.spec.name}: the source lacks {missing} of {live} known records of {len(scopes)}"
                f" {self.spec.vanish_scope} values; refusing to mark so many vanished (a partial answer?)")
        cur = await self.conn.execute(
            sql.SQL("with latest as ({latest}) insert into {t} ({cols}, _load_id, _vanished_at)"
                    " select {lcols}, %(load_id)s, now() {missing}").format(
                latest=latest, t=t, cols=self._cols(), lcols=self._cols("l."), missing=missing_sql), params)
        return cur.rowcount

    async def stage(self, records: Sequence[RawRecord]) -> None:
        """Full reload: copy a page into the stage (no commit of raw rows yet)."""
        assert self.spec.full_reload
        await self._ensure_stage()
        if records:
            await self._copy(records)

    async def finish_full_reload(self, rejects: Sequence[Reject], seen: int, cursor_after: str | None = None) -> BatchResult:
        """Append changed versions and vanished markers, record rejects; one transaction."""
        assert self.spec.full_reload
        await self._ensure_stage()
        keys = sql.SQL(", ").join(sql.Identifier(k) for k in self.spec.key_names)
        t, s = self.spec.ident(), sql.Identifier(STAGE)
        latest = sql.SQL(
            "select distinct on ({keys}) * from {t} order by {keys}, _load_id desc, _vanished_at desc nulls last"
        ).format(keys=keys, t=t)
        # the temporary stage has no statistics (autovacuum never analyzes temp tables): without
        # them the planner joined 61k staged equipment rows to 61k latest rows by nested loop
        # (over a quarter of an hour on the large world)
        await self.conn.execute(sql.SQL("analyze {s}").format(s=s))
        async with self.conn.transaction():
            await self.conn.execute(sql.SQL("lock table {t} in share row exclusive mode").format(t=t))
            # The raw table's own statistics lag behind too: on a first load it was empty when
            # last analyzed, so "latest" looks like one row and the anti-join below became a
            # nested loop over the stage (61k x 61k on large, still running after 7 minutes
            # with the stage analyzed). These are whole-table joins: hash or merge only.
            await self.conn.execute("set local enable_nestloop = off")
            cur = await self.conn.execute(
                sql.SQL(
                    "with latest as ({latest}), incoming as ("
                    " select distinct on ({keys}) * from {s} order by {keys}, _seq desc) "
                    "insert into {t} ({cols}, _load_id) "
                    "select {icols}, %s from incoming i left join latest l on {match} "
                    "where l._payload_hash is null or l._payload_hash <> i._payload_hash or l._vanished_at is not null"
                ).format(
                    latest=latest, keys=keys, s=s, t=t, cols=self._cols(), icols=self._cols("i."),
                    match=self._key_match("l", "i"),
                ),
                (self.load_id,),
            )
            inserted = cur.rowcount
            # keys present before and missing from this complete reload
            # a left join, not `not exists` inside the FILTER: a correlated subquery there runs
            # once per key (quadratic: 61k registry equipment keys took over 9 minutes)
            cur = await self.conn.execute(
                sql.SQL(
                    "with latest as ({latest}) select count(*) filter (where l._vanished_at is null),"
                    " count(*) filter (where l._vanished_at is null and i.{first} is null)"
                    " from latest l left join (select distinct {keys} from {s}) i on {match}"
                ).format(latest=latest, s=s, keys=keys, first=sql.Identifier(self.spec.key_names[0]),
                         match=self._key_match("l", "i")),
            )
            live, missing = await cur.fetchone()  # type: ignore[misc]
            if missing and live >= 10 and missing > self.max_vanish_share * live:
                raise RuntimeError(
                    f"{self.spec.name}: the reload lacks {missing} of {live} known records; refusing to mark so many"
                    " vanished (a partial answer from the source?)"
                )
            vanished = 0
            if missing:
                cur = await self.conn.execute(
                    sql.SQL(
                        "with latest as ({latest}) insert into {t} ({cols}, _load_id, _vanished_at) "
                        "select {lcols}, %s, now() from latest l where l._vanished_at is null and not exists"
                        " (select 1 from {s} i where {match})"
                    ).format(
                        latest=latest, t=t, cols=self._cols(), lcols=self._cols("l."), s=s,
                        match=self._key_match("l", "i"),
                    ),
                    (self.load_id,),
                )
                vanished = cur.rowcount
            rejected = await self._insert_rejects(rejects)
            await self._update_load(seen, inserted, rejected, vanished, cursor_after)
            await self.conn.execute(sql.SQL("truncate {s}").format(s=s))
        return BatchResult(seen=seen, inserted=inserted, rejected=rejected, vanished=vanished)


class PipelinedWriter:
    """Incremental writes in the background: batch N is committed while batch N+1 is fetched
    and validated. Writes stay in order (one in flight), so cursors still advance only with
    their rows; leaving the block waits for the write in flight (and raises its error)."""

    def __init__(self, writer: RawWriter):
        self.writer = writer
        self.total = BatchResult()
        self._task: asyncio.Task[BatchResult] | None = None

    async def submit(self, records: Sequence[RawRecord], rejects: Sequence[Reject], cursor_after: str | None) -> None:
        await self.flush()
        self._task = asyncio.create_task(self.writer.write(records, rejects, cursor_after))

    async def flush(self) -> None:
        if self._task is not None:
            task, self._task = self._task, None
            self.total.add(await task)

    async def __aenter__(self) -> PipelinedWriter:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.flush()
