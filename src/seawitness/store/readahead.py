"""Read-ahead for downloads: bring the table rows a download reads next into memory.

A download comes in time order, read through an index whose order is unrelated to where
the rows are stored (rows are stored by leaf index, which follows submission, and a
log is filled from archives in any order: in the bundled data, 7 % of the tritium
results that follow each other in time lie within 20 rows of each other in the table).
While the table is in the page cache that costs nothing. When it is not, because the
table is larger than memory or other work evicted it, every row is a random disk read,
made one at a time: the disk waits for Python to format the previous row, and Python
for the disk. Measured at 10 million results on SQLite, ``nuclide=H-3`` (899k rows)
with the page cache dropped first: 14.6k rows/s, against 41–51k rows/s with the
table in memory (``bench/README.md``).

:class:`ReadAhead` walks the keys of the same selection in an index alone (``(sampled_at,
leaf_index)``, which each filter's index holds), cuts them into time spans of ``rows``
keys, and has a few worker connections read the rows of each span (a count of a column
only the table holds, so the database fetches each row's table page) at most ``window``
spans ahead of the download. Several reads then wait on the disk at once, as in a
bitmap heap scan or a database's own prefetching. Measured as above, through
:func:`seawitness.export.stream.csv_chunks`: 14.6k → 27.1k rows/s with three workers (a
first version with 3, 6 and 12 workers: 29.0k, 28.3k and 24.4k rows/s); with the table
in memory, 45–47k rows/s without and 40–44k with it (2 runs each, 2 cores).

Downloads use it on SQLite only (:func:`seawitness.store.select.stream`): on PostgreSQL,
measured the same way, it gave nothing (22.0k rows/s without, 20.5k with), so the class
works on both backends (and is tested on both) but is not paid for there.

The download reads exactly what it read before, from its own statement and snapshot;
the workers only bring pages into the operating system's page cache (and PostgreSQL's
shared buffers). What they read, miss or fail on changes no byte of the answer, so a
worker's error is dropped, and read-ahead only starts when a slot is free
(:data:`MAX_AT_ONCE` downloads at once), so that many downloads cannot take every
connection of the pool.
"""

from __future__ import annotations

import logging
import queue
import threading
from contextlib import closing
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, Select, String, bindparam, func, type_coerce

from seawitness.store import schema as s

if TYPE_CHECKING:
    from seawitness.store.store import Query

__all__ = ["MAX_AT_ONCE", "WORKERS", "ReadAhead", "covered"]

log = logging.getLogger(__name__)

#: Worker connections per download (measured: 3 and 6 gave the same, 12 less).
WORKERS = 3
#: Downloads that read ahead at the same time; others read as before.
MAX_AT_ONCE = 2
_SLOTS = threading.BoundedSemaphore(MAX_AT_ONCE)
# Sampling times as the database gives them (SQLite: the stored text), not parsed into
# datetimes: parsing each key in Python took a tenth of the download's own time (the GIL).
_TIME = type_coerce(s.measurements.c.sampled_at, String)

# Filters whose index ends in (sampled_at, leaf_index) (store.schema): the key walk of
# such a selection reads that index only. Any other filter would make the walk read the
# table itself, row by row, as slowly as the download.
_COVERED: tuple[frozenset[str], ...] = (
    frozenset(),
    frozenset({"station"}),
    frozenset({"nuclide"}),
    frozenset({"medium"}),
    frozenset({"org"}),
    frozenset({"station", "nuclide"}),
)


def covered(q: Query) -> bool:
    """Whether the keys of ``q``'s selection can be walked in one index alone."""
    if q.bbox is not None or q.depth_class or q.offset:
        return False
    used = frozenset(f for f in ("station", "nuclide", "medium", "org") if getattr(q, f))
    return used in _COVERED


class ReadAhead:
    """Reads the rows of ``q``'s selection a few time spans ahead of a download of it.

    Use :meth:`start` (False when no slot was free or the filters are not covered),
    :meth:`advance` after each batch the download has read, and :meth:`close` when it
    stops for any reason: it waits for the workers to finish their current span and
    give their connections back.
    """

    def __init__(
        self, engine: Engine, q: Query, rows: int = 10_000, window: int = 8, workers: int = WORKERS
    ) -> None:
        self.engine = engine
        # every version (the current-version test reads the table) in the download's
        # order, from where it starts, as far as its limit
        self.q = replace(q, history=True)
        self.rows, self.window, self.n_workers = rows, window, workers
        self._stop = threading.Event()
        self._moved = threading.Condition()
        self._read = 0  # rows the download has read
        self._spans: queue.Queue[tuple[Any, Any] | None] = queue.Queue()
        self._threads: list[threading.Thread] = []
        self._slot = False
        self.spans_read = 0  # time spans the workers have read

    def start(self) -> bool:
        if not covered(self.q) or not _SLOTS.acquire(blocking=False):
            return False
        self._slot = True
        self._threads = [threading.Thread(target=self._walk, name="read-ahead keys", daemon=True)]
        self._threads += [
            threading.Thread(target=self._work, name="read-ahead", daemon=True)
            for _ in range(self.n_workers)
        ]
        for t in self._threads:
            t.start()
        return True

    def advance(self, n: int) -> None:
        with self._moved:
            self._read += n
            self._moved.notify_all()

    def close(self) -> None:
        self._stop.set()
        with self._moved:
            self._moved.notify_all()
        for _ in range(self.n_workers):
            self._spans.put(None)
        for t in self._threads:
            t.join()
        self._threads = []
        if self._slot:
            self._slot = False
            _SLOTS.release()

    def keys_statement(self) -> Select[Any]:
        """The sampling times of the selection in the download's order (one index)."""
        from seawitness.store.select import ordered, selection

        return ordered(selection(self.q, [_TIME]), self.q)

    def span_statement(self) -> Select[Any]:
        """A count of ``value`` (a column only the table holds) over the selection's
        rows sampled from ``:lo`` to ``:hi``: reading it reads their table pages."""
        from seawitness.store.select import selection

        m = s.measurements
        base = replace(self.q, after=None, limit=None, since=None, until=None)
        stmt = selection(base, [func.count(m.c.value)])
        # bound as the walk gives them: text on SQLite, datetimes on PostgreSQL
        typ = String() if self.engine.dialect.name == "sqlite" else m.c.sampled_at.type
        lo, hi = bindparam("lo", type_=typ), bindparam("hi", type_=typ)
        return stmt.where(m.c.sampled_at >= lo, m.c.sampled_at <= hi)

    # -- the threads

    def _walk(self) -> None:
        """Put the time span of each ``rows`` keys in the queue, ``window`` spans ahead
        of the download at most."""
        from seawitness.store.select import _partitions

        stmt = self.keys_statement()
        try:
            with (
                self.engine.connect() as conn,
                closing(_partitions(conn, stmt, self.rows)) as parts,
            ):
                for j, part in enumerate(parts):
                    with self._moved:
                        while (
                            j * self.rows > self._read + self.window * self.rows
                            and not self._stop.is_set()
                        ):
                            self._moved.wait()
                    if self._stop.is_set():
                        return
                    self._spans.put((part[0][0], part[-1][0]))
        except Exception:  # an optimisation: the download goes on without it
            log.debug("read-ahead key walk stopped", exc_info=True)
        finally:
            for _ in range(self.n_workers):
                self._spans.put(None)

    def _work(self) -> None:
        """Read the rows of one time span after another (a count of ``value``, which
        only the table holds), until the walk or the download ends."""
        stmt = self.span_statement()
        try:
            with self.engine.connect() as conn:
                while not self._stop.is_set():
                    span = self._spans.get()
                    if span is None:
                        return
                    lo, hi = sorted(span)
                    conn.execute(stmt, {"lo": lo, "hi": hi}).scalar()
                    conn.rollback()  # no snapshot held between spans
                    with self._moved:
                        self.spans_read += 1
        except Exception:
            log.debug("read-ahead worker stopped", exc_info=True)
