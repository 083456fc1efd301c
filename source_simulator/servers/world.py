"""Read access to the world store: one read-only SQLite connection per thread, and a
bounded LRU cache of ordered key lists so that offset paging (help-desk page numbers,
1C ``$skip``) is a slice instead of a rescan."""

from __future__ import annotations

import sqlite3
import threading
from array import array
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from source_simulator import store

Fetch = Callable[[tuple | None, int], list[tuple]]


@dataclass
class KeyPrefix:
    """The first rows of one ordered listing, grown on demand: ``row_ids`` in order, the sort
    key of the last one, and whether the listing is complete."""

    row_ids: array = field(default_factory=lambda: array("q"))
    last: tuple | None = None
    complete: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    def ensure(self, needed: int, fetch: Fetch) -> None:
        """Read on (keyset, doubling) until ``needed`` rows are known or the listing ends."""
        with self.lock:
            while not self.complete and len(self.row_ids) < needed:
                want = max(needed - len(self.row_ids), len(self.row_ids), 256)
                rows = fetch(self.last, want)
                self.row_ids.extend(r[0] for r in rows)
                if rows:
                    self.last = tuple(rows[-1][1:])
                if len(rows) < want:
                    self.complete = True


class WorldError(RuntimeError):
    """The world file is missing or is not a simulator store."""


class World:
    def __init__(self, path: str | Path, *, key_cache_entries: int = 16) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise WorldError(
                f"world store {self.path} does not exist; generate it with "
                "`python -m source_simulator generate --profile tiny --out DIR`"
            )
        self._local = threading.local()
        try:
            self.meta = store.read_meta(self.conn())
        except sqlite3.DatabaseError as exc:
            raise WorldError(f"{self.path} is not a simulator world store: {exc}") from exc
        for key in ("now", "horizon_end"):
            if key not in self.meta:
                raise WorldError(f"{self.path}: meta.{key} is missing (is the store complete?)")
        self._cache: OrderedDict[Hashable, array] = OrderedDict()
        self._prefixes: OrderedDict[Hashable, KeyPrefix] = OrderedDict()
        self._cache_lock = threading.Lock()
        self._key_locks: dict[Hashable, threading.Lock] = {}
        self._cache_entries = max(1, key_cache_entries)

    def conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = store.connect(self.path, readonly=True)
            conn.execute("pragma cache_size = -16384")  # per thread; mmap shares the rest
            conn.execute("pragma mmap_size = 1073741824")
            self._local.conn = conn
        return conn

    def query(self, sql: str, params: dict | Sequence = ()) -> list[sqlite3.Row]:
        return self.conn().execute(sql, params).fetchall()

    def ordered_keys(self, cache_key: Hashable, compute: Callable[[], list[int]]) -> array:
        """The ordered row ids for ``cache_key``, computed once and kept in a bounded LRU."""
        with self._cache_lock:
            hit = self._cache.get(cache_key)
            if hit is not None:
                self._cache.move_to_end(cache_key)
                return hit
            lock = self._key_locks.setdefault(cache_key, threading.Lock())
        with lock:  # one computation per key even under concurrent first requests
            with self._cache_lock:
                hit = self._cache.get(cache_key)
                if hit is not None:
                    return hit
            keys = array("q", compute())
            with self._cache_lock:
                self._cache[cache_key] = keys
                self._cache.move_to_end(cache_key)
                while len(self._cache) > self._cache_entries:
                    old, _ = self._cache.popitem(last=False)
                    self._key_locks.pop(old, None)
            return keys

    def key_prefix(self, cache_key: Hashable, needed: int, fetch: Fetch) -> KeyPrefix:
        """At least ``needed`` leading row ids of an ordered listing (fewer if it is shorter).

        ``fetch(after, limit)`` returns up to ``limit`` tuples ``(row_id, *sort_key)`` after the
        sort key ``after`` (None: from the start). Page N of a listing costs a slice once its
        prefix is known, and a client that restarts from page 1 with a new filter only pays
        for the pages it reads."""
        with self._cache_lock:
            prefix = self._prefixes.get(cache_key)
            if prefix is None:
                prefix = self._prefixes[cache_key] = KeyPrefix()
                while len(self._prefixes) > self._cache_entries:
                    self._prefixes.popitem(last=False)
            self._prefixes.move_to_end(cache_key)
        prefix.ensure(needed, fetch)
        return prefix

    def rows_by_row_id(self, table: str, row_ids: Sequence[int]) -> list[sqlite3.Row]:
        """Rows of ``table`` with these row ids, in the given order."""
        if not row_ids:
            return []
        marks = ",".join("?" * len(row_ids))
        rows = self.query(f"select * from {table} where row_id in ({marks})", list(row_ids))
        by_id = {row["row_id"]: row for row in rows}
        return [by_id[r] for r in row_ids if r in by_id]
