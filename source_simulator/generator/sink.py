"""Batched inserts into the store, with version chains.

Rows are buffered per table and written with ``executemany`` by a writer thread, so that
SQLite (which releases the GIL while it works) overlaps with generating the next rows.
"""

from __future__ import annotations

import queue
import sqlite3
import threading
from collections.abc import Sequence
from operator import itemgetter

from source_simulator.generator.clock import iso

BATCH = 20_000


class Sink:
    """Buffers rows per table; a background thread inserts full batches."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self._cols: dict[str, tuple[str, ...]] = {}
        self._rows: dict[str, list[tuple]] = {}
        self._getters: dict[str, itemgetter] = {}
        self.counts: dict[str, int] = {}
        self._queue: queue.Queue[tuple[str, list[tuple]] | None] = queue.Queue(maxsize=4)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._writer, name="store-writer", daemon=True)
        self._thread.start()

    # ------------------------------------------------------------------ producing rows
    def add(self, table: str, row: dict[str, object]) -> None:
        getter = self._getters.get(table)
        if getter is None:
            self.declare(table, tuple(row))
            getter = self._getters[table]
        buf = self._rows[table]
        buf.append(getter(row))
        if len(buf) >= BATCH:
            self._flush(table)

    def declare(self, table: str, cols: tuple[str, ...]) -> None:
        """Fix a table's column order (for :meth:`add_tuple`)."""
        if table in self._cols:
            if self._cols[table] != cols:
                raise ValueError(f"{table}: rows with different columns {cols} vs {self._cols[table]}")
            return
        self._cols[table] = cols
        self._getters[table] = itemgetter(*cols)
        self._rows[table] = []

    def add_tuple(self, table: str, row: tuple) -> None:
        """Append a row already in the declared column order."""
        buf = self._rows[table]
        buf.append(row)
        if len(buf) >= BATCH:
            self._flush(table)

    def add_versions(self, table: str, versions: Sequence[tuple[int, dict[str, object]]],
                     horizon_ms: int | None = None) -> None:
        """Write versions ``(valid_from_ms, fields)`` of one record, chaining ``valid_to``.

        Versions starting after ``horizon_ms`` are not generated; of versions starting at
        the same moment the later one wins.
        """
        kept: list[tuple[int, dict[str, object]]] = []
        for v in versions:
            if horizon_ms is not None and v[0] > horizon_ms:
                continue
            if kept and kept[-1][0] >= v[0]:
                kept[-1] = (kept[-1][0], v[1])
            else:
                kept.append(v)
        for i, (start, fields) in enumerate(kept):
            end = kept[i + 1][0] if i + 1 < len(kept) else None
            self.add(table, {"valid_from": iso(start), "valid_to": iso(end), **fields})

    # ------------------------------------------------------------------ writing
    def _writer(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if item is None:
                    continue
                if self._error is None:
                    sql, rows = item
                    self.conn.executemany(sql, rows)
            except BaseException as exc:  # noqa: BLE001 - re-raised in the producer
                self._error = exc
            finally:
                self._queue.task_done()

    def _flush(self, table: str) -> None:
        buf = self._rows[table]
        if not buf:
            return
        if self._error is not None:
            raise RuntimeError(f"writing the store failed: {self._error}") from self._error
        cols = self._cols[table]
        sql = f"insert into {table} ({', '.join(cols)}) values ({', '.join('?' * len(cols))})"
        self.counts[table] = self.counts.get(table, 0) + len(buf)
        self._queue.put((sql, buf))
        self._rows[table] = []

    def flush(self) -> None:
        """Write everything buffered and commit (waits for the writer)."""
        for table in list(self._rows):
            self._flush(table)
        self._queue.join()
        if self._error is not None:
            raise RuntimeError(f"writing the store failed: {self._error}") from self._error
        self.conn.commit()
