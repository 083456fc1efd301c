"""Batched inserts into the store, with version chains."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from operator import itemgetter

from source_simulator.generator.clock import iso

BATCH = 20_000


class Sink:
    """Buffers rows per table and writes them with ``executemany`` in batches."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self._cols: dict[str, tuple[str, ...]] = {}
        self._rows: dict[str, list[tuple]] = {}
        self._getters: dict[str, itemgetter] = {}
        self.counts: dict[str, int] = {}

    def add(self, table: str, row: dict[str, object]) -> None:
        getter = self._getters.get(table)
        if getter is None:
            cols = self._cols[table] = tuple(row)
            getter = self._getters[table] = itemgetter(*cols)
            self._rows[table] = []
        buf = self._rows[table]
        buf.append(getter(row))
        if len(buf) >= BATCH:
            self._flush(table)

    def add_versions(self, table: str, versions: Sequence[tuple[int, dict[str, object]]],
                     horizon_ms: int | None = None) -> None:
        """Write versions ``(valid_from_ms, fields)`` of one record, chaining ``valid_to``.

        Versions starting after ``horizon_ms`` are not generated.
        """
        kept: list[tuple[int, dict[str, object]]] = []
        for v in versions:
            if horizon_ms is not None and v[0] > horizon_ms:
                continue
            if kept and kept[-1][0] >= v[0]:
                kept[-1] = (kept[-1][0], v[1])   # same moment: the later version wins
            else:
                kept.append(v)
        for i, (start, fields) in enumerate(kept):
            end = kept[i + 1][0] if i + 1 < len(kept) else None
            self.add(table, {"valid_from": iso(start), "valid_to": iso(end), **fields})

    def _flush(self, table: str) -> None:
        buf = self._rows[table]
        if not buf:
            return
        cols = self._cols[table]
        sql = f"insert into {table} ({', '.join(cols)}) values ({', '.join('?' * len(cols))})"
        self.conn.executemany(sql, buf)
        self.counts[table] = self.counts.get(table, 0) + len(buf)
        buf.clear()

    def flush(self) -> None:
        for table in list(self._rows):
            self._flush(table)
        self.conn.commit()
