"""SELECTs over the measurement index: filters, time order, keyset pages and streaming.

One statement builder serves a page of the API, a dashboard table and a whole-table
download, so each reads the index the same way:

* a current version is one no later version supersedes (a look-up in a small partial
  index, where a join with ``heads`` is a random look-up per row into a large one);
* every filter is an equality or range the indexes of :mod:`~seawitness.store.schema`
  end in ``(sampled_at, leaf_index)`` for, so a filtered selection in time order is an
  ordered index range (no sort step; the plans are checked by a test on both backends);
* a page after the first starts at the key of the previous page's last row (keyset
  pagination, Winand, *SQL Performance Explained*, "Paging Through Results"): it reads
  the rows it returns, where ``OFFSET n`` reads and drops ``n`` rows first;
* a download is one statement read in batches through a server-side cursor
  (PostgreSQL) or the SQLite statement itself, so it sees one snapshot of the data and
  holds one batch in memory, whatever the size of the selection.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Connection,
    Engine,
    Select,
    and_,
    exists,
    false,
    func,
    literal_column,
    select,
    tuple_,
)
from sqlalchemy.sql.elements import ColumnElement

from seawitness.store import schema as s
from seawitness.store.readahead import ReadAhead

if TYPE_CHECKING:
    from seawitness.store.store import Query

__all__ = [
    "STREAM_BATCH",
    "count_statement",
    "ordered",
    "selection",
    "snapshot",
    "sorted_scan",
    "stream",
]

#: Rows fetched from the database at a time by a download.
STREAM_BATCH = 10_000

# The later version a current row must not have; made once, as building an alias copies
# every column of the table (a tenth of a page request's time when made per statement).
_LATER = s.measurements.alias("later")


def selection(q: Query, columns: Sequence[Any] | None = None) -> Select[Any]:
    """``SELECT columns`` (default: every index column) of the rows ``q`` filters, without
    order or paging. Current versions only unless ``q.history``."""
    m = s.measurements
    stmt = select(*(columns if columns is not None else [m])).select_from(m)
    if not q.history:
        # current: not retracted, and no later version supersedes it (versions form one
        # chain per series, since a correction must supersede the current version: the
        # same rows ``heads`` points to, see tests/test_read_store.py)
        stmt = stmt.where(
            m.c.retracted == false(),
            ~exists().where(_LATER.c.supersedes == m.c.leaf_index),
        )
    conds: list[ColumnElement[bool]] = []
    if q.station:
        conds.append(m.c.station == q.station)
    if q.nuclide:
        conds.append(m.c.nuclide == q.nuclide)
    if q.medium:
        conds.append(m.c.medium == q.medium)
    if q.org:
        conds.append(m.c.org == q.org)
    if q.depth_class:
        conds.append(m.c.depth_class == q.depth_class)
    if q.since:
        conds.append(m.c.sampled_at >= q.since)
    if q.until:
        conds.append(m.c.sampled_at < q.until)
    if q.bbox:
        x0, y0, x1, y1 = q.bbox
        conds += [m.c.lon >= x0, m.c.lon <= x1, m.c.lat >= y0, m.c.lat <= y1]
    if conds:
        stmt = stmt.where(and_(*conds))
    return stmt


def ordered(stmt: Select[Any], q: Query) -> Select[Any]:
    """``stmt`` in ``q``'s time order, from ``q.after`` on, with ``q``'s limit and offset."""
    m = s.measurements
    key = tuple_(m.c.sampled_at, m.c.leaf_index)
    if q.after is not None:
        stmt = stmt.where(key < tuple_(*q.after) if q.descending else key > tuple_(*q.after))
    if q.descending:
        stmt = stmt.order_by(m.c.sampled_at.desc(), m.c.leaf_index.desc())
    else:
        stmt = stmt.order_by(m.c.sampled_at, m.c.leaf_index)
    if q.limit is not None:
        stmt = stmt.limit(q.limit)
    if q.offset:
        stmt = stmt.offset(q.offset)
    return stmt


def sorted_scan(stmt: Select[Any], q: Query, dialect: str) -> Select[Any]:
    """``stmt`` in ``q``'s time order, read as a scan of the table that the database
    sorts, for a selection of most of the table (a bulk file).

    Reading a large table in time order through the time index visits its pages in
    random order (rows are stored by leaf index, which follows submission, not sampling
    time); once the table outgrows memory that is a disk read per row. A scan in storage
    order with one sort is several times faster in all (10 million results on SQLite:
    125,000 against 15,000 rows/s), at the price of a late first row. On SQLite a unary
    ``+`` on the ORDER BY terms keeps the planner from serving them from an index (the
    plan, a table scan and a temporary B-tree, is checked in ``tests/test_bulk.py``); on
    PostgreSQL :func:`snapshot` with ``scan`` asks the planner for its cheapest plan in
    all rather than the one fastest to its first rows (``cursor_tuple_fraction``).
    """
    if dialect != "sqlite" or q.after is not None:
        return ordered(stmt, q)
    order = "DESC" if q.descending else "ASC"
    stmt = stmt.order_by(
        literal_column(f"+measurements.sampled_at {order}"),
        literal_column(f"+measurements.leaf_index {order}"),
    )
    if q.limit is not None:
        stmt = stmt.limit(q.limit)
    if q.offset:
        stmt = stmt.offset(q.offset)
    return stmt


def count_statement(q: Query) -> Select[Any]:
    """``SELECT count(*)`` of the rows ``q`` filters (its order and paging ignored)."""
    return select(func.count()).select_from(selection(q, [s.measurements.c.leaf_index]).subquery())


@contextmanager
def snapshot(engine: Engine, scan: bool = False) -> Iterator[Connection]:
    """A connection whose reads all see one state of the database, whatever is written
    meanwhile: a read transaction (SQLite in WAL mode keeps the snapshot of its first
    read until the transaction ends; PostgreSQL's REPEATABLE READ keeps the one of its
    first statement). A bulk file reads the tree size and its rows through one, so the
    file holds exactly the results of the checkpoint it is named after."""
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            yield conn


def stream(
    source: Engine | Connection,
    stmt: Select[Any],
    batch: int = STREAM_BATCH,
    ahead: Query | None = None,
) -> Generator[Sequence[Any], None, None]:
    """The rows of ``stmt`` in lists of up to ``batch`` rows, from one statement.

    From an engine, the connection is held only while the caller iterates: closing the
    generator (a client that stops a download half-way, see :mod:`seawitness.api.downloads`)
    closes the cursor and gives the connection back to the pool at once. From a
    connection (a :func:`snapshot`), the connection stays the caller's.

    ``ahead``: the query ``stmt`` reads in its time order; from a SQLite engine, its rows
    are read a few batches ahead on other connections while this one reads them
    (:mod:`~seawitness.store.readahead`), so that a table that is not in memory is
    read from disk several rows at a time rather than one.
    """
    if isinstance(source, Connection):
        yield from _partitions(source, stmt, batch)
        return
    # SQLite only: on PostgreSQL it measured no gain (10 M results, cold: 22.0k rows/s
    # without it, 20.5k with it), so it is not paid for there
    sqlite = source.dialect.name == "sqlite"
    ra = ReadAhead(source, ahead) if ahead is not None and sqlite else None
    try:
        if ra is not None:
            ra.start()
        with source.connect() as conn:
            for rows in _partitions(conn, stmt, batch):
                if ra is not None:
                    ra.advance(len(rows))
                yield rows
    finally:
        if ra is not None:
            ra.close()


def _partitions(
    conn: Connection, stmt: Select[Any], batch: int
) -> Generator[Sequence[Any], None, None]:
    result = conn.execution_options(stream_results=True, yield_per=batch).execute(stmt)
    try:
        yield from result.partitions(batch)
    finally:
        result.close()
