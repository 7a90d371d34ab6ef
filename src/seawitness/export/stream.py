"""Downloads at the speed of the store: CSV, NDJSON and Parquet of any selection, read
from the measurement index in batches from one statement.

The index holds every field of the record (migration 0004), so a download never parses
a log entry. The database formats what it can: for CSV, times come out of SQL as
``YYYY-MM-DDTHH:MM:SSZ``, booleans as ``true``/``false`` and whole numbers without a
decimal point (as the record's RFC 8785 JSON writes them: ``52``, not ``52.0``), so a
batch of rows goes to ``csv.writer.writerows`` as the cursor gives it. Parquet is
written from columns (pyarrow arrays built per column of a batch) in row groups of
:data:`ROW_GROUP` rows, and sent as each row group is written: the first byte leaves
after the first row group, not after the whole file.

The cells are the ones :mod:`seawitness.export.tables` writes (``_cell``): the tests
compare the two on both backends.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Generator, Iterator, Sequence
from contextlib import closing
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import Connection, Engine, literal_column
from sqlalchemy.sql.elements import ColumnElement

from seawitness.export.tables import _ARROW, _header
from seawitness.model.columns import MEASUREMENT_FIELDS, FieldSpec
from seawitness.store.select import STREAM_BATCH, ordered, selection, sorted_scan, stream
from seawitness.store.store import Query

__all__ = [
    "ROW_GROUP",
    "Progress",
    "Source",
    "csv_chunks",
    "ndjson_chunks",
    "parquet_chunks",
    "parquet_schema",
]

#: Where rows come from: an engine (a connection per download) or a connection that
#: holds one snapshot (:func:`seawitness.store.select.snapshot`, for bulk files).
Source = Engine | Connection
#: Told the number of rows of each batch as it is written (progress bars).
Progress = Callable[[int], None] | None

#: Rows per Parquet row group (a few MB of columns: large enough to compress well).
ROW_GROUP = 100_000

# Below 2**53 a whole float is written as an integer by the record's canonical JSON
# (seawitness.model.records, Measurement.to_dict); the CSV follows the record.
_WHOLE = "9007199254740992"


def _time_text(c: str, dialect: str) -> str:
    if dialect == "sqlite":  # stored as 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC)
        return f"substr({c}, 1, 10) || 'T' || substr({c}, 12, 8) || 'Z'"
    return f"to_char({c} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"


def _csv_sql(f: FieldSpec, dialect: str) -> ColumnElement[Any]:
    """One column of a CSV download, as :func:`csv.writer` should print it: times and
    booleans as text, whole numbers below 2**53 as integers (as the record's JSON
    writes them), other floats as floats (printed by ``repr``, the shortest form that
    reads back the same), NULL as None (an empty cell)."""
    c = f"measurements.{f.name}"
    if f.name == "replicate":  # the record leaves a replicate of 0 out: an empty cell
        return literal_column(f"CASE WHEN {c} = 0 THEN NULL ELSE {c} END")
    if f.type == "datetime":
        return literal_column(_time_text(c, dialect))
    if f.type == "boolean":
        return literal_column(f"CASE WHEN {c} THEN 'true' ELSE 'false' END")
    if f.type == "number":
        if dialect == "sqlite":  # dynamic typing: an integer or a float per row
            return literal_column(
                f"CASE WHEN {c} = CAST({c} AS INTEGER) AND abs({c}) < {_WHOLE}.0 "
                f"THEN CAST({c} AS INTEGER) ELSE {c} END"
            )
        # PostgreSQL prints float8 in the shortest form that reads back the same
        return literal_column(
            f"CASE WHEN {c} = trunc({c}) AND abs({c}) < {_WHOLE} "
            f"THEN CAST(CAST({c} AS BIGINT) AS TEXT) ELSE CAST({c} AS TEXT) END"
        )
    return literal_column(c)


def _columns(dialect: str, text: bool) -> list[ColumnElement[Any]]:
    """Typed columns of a download, with times as text (``text``) or epoch seconds."""
    out: list[ColumnElement[Any]] = []
    for f in MEASUREMENT_FIELDS:
        c = f"measurements.{f.name}"
        if f.type == "datetime":
            if text:
                c = _time_text(c, dialect)
            elif dialect == "sqlite":
                c = f"CAST(strftime('%s', {c}) AS INTEGER)"
            else:
                c = f"CAST(EXTRACT(EPOCH FROM {c}) AS BIGINT)"
        out.append(literal_column(c))
    return out


def _ordered(source: Source, cols: list[ColumnElement[Any]], q: Query, scan: bool) -> Any:
    stmt = selection(q, cols)
    return sorted_scan(stmt, q, source.dialect.name) if scan else ordered(stmt, q)


def _batches(
    source: Source, q: Query, text: bool, batch: int, scan: bool = False
) -> Generator[Sequence[Any], None, None]:
    stmt = _ordered(source, _columns(source.dialect.name, text), q, scan)
    return stream(source, stmt, batch, ahead=None if scan else q)


def csv_chunks(
    source: Source,
    q: Query,
    batch: int = STREAM_BATCH,
    progress: Progress = None,
    scan: bool = False,
) -> Iterator[bytes]:
    """UTF-8 CSV: a header with units, then one line per result, a batch per chunk.
    ``scan``: read the table and sort it (:func:`~seawitness.store.select.sorted_scan`),
    for a selection of most of a large table."""
    buf = io.StringIO()
    csv.writer(buf).writerow([_header(f) for f in MEASUREMENT_FIELDS])
    yield buf.getvalue().encode()
    dialect = source.dialect.name
    cols = [_csv_sql(f, dialect) for f in MEASUREMENT_FIELDS]
    w = csv.writer(buf)
    stmt = _ordered(source, cols, q, scan)
    with closing(stream(source, stmt, batch, ahead=None if scan else q)) as batches:
        for rows in batches:
            buf.seek(0)
            buf.truncate()
            w.writerows(rows)
            yield buf.getvalue().encode()
            if progress:
                progress(len(rows))


_NUMBERS = frozenset(i for i, f in enumerate(MEASUREMENT_FIELDS) if f.type == "number")
_NAMES = [f.name for f in MEASUREMENT_FIELDS]
_KEEP_NONE = frozenset({"leaf_index", "record_id", "version", "supersedes", "reason", "retracted"})
_EXTRA = _NAMES.index("extra")
_REPLICATE = _NAMES.index("replicate")
_RETRACTED = _NAMES.index("retracted")


def _json_row(row: Sequence[Any]) -> dict[str, Any]:
    """One result as the record's JSON gives it (fields it leaves out stay out), with
    the log index fields, which are always there."""
    out: dict[str, Any] = {}
    for i, v in enumerate(row):
        name = _NAMES[i]
        if v is None:
            if name in _KEEP_NONE:
                out[name] = None
            continue
        if i in _NUMBERS and type(v) is float and v.is_integer() and abs(v) < 2**53:
            v = int(v)
        elif i == _EXTRA:
            v = json.loads(v)
        elif i == _REPLICATE and v == 0:
            continue
        elif i == _RETRACTED:
            v = bool(v)
        out[name] = v
    return out


def ndjson_chunks(source: Source, q: Query, batch: int = STREAM_BATCH) -> Iterator[bytes]:
    """One JSON object per line: every field of the record and its log index fields."""
    stmt = ordered(selection(q, _columns(source.dialect.name, True)), q)
    enc = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode
    with closing(stream(source, stmt, batch, ahead=q)) as batches:
        for rows in batches:
            yield "".join([enc(_json_row(r)) + "\n" for r in rows]).encode()


def parquet_schema() -> pa.Schema:
    """The Parquet schema of a download: typed columns, descriptions and units."""
    return pa.schema(
        [
            pa.field(
                f.name,
                _ARROW[f.type],
                metadata={"description": f.description, **({"unit": f.unit} if f.unit else {})},
            )
            for f in MEASUREMENT_FIELDS
        ]
    )


def _arrow_column(values: Sequence[Any], f: FieldSpec, typ: pa.DataType) -> pa.Array:
    if f.type == "datetime":  # epoch seconds from SQL
        return pa.array(values, pa.int64()).cast(typ)
    if f.type == "boolean":  # SQLite hands back 0/1
        return pa.array([None if v is None else bool(v) for v in values], typ)
    return pa.array(values, typ)


class _Sink:
    """A write-only file for pyarrow that keeps what was written until it is taken."""

    closed = False

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self._pos = 0

    def write(self, data: Any) -> int:
        b = bytes(data)
        self._parts.append(b)
        self._pos += len(b)
        return len(b)

    def tell(self) -> int:
        return self._pos

    def flush(self) -> None:
        pass

    def close(self) -> None:
        self.closed = True

    def take(self) -> bytes:
        out = b"".join(self._parts)
        self._parts.clear()
        return out


def parquet_chunks(
    source: Source,
    q: Query,
    batch: int = STREAM_BATCH,
    row_group: int = ROW_GROUP,
    progress: Progress = None,
    scan: bool = False,
) -> Iterator[bytes]:
    """A Parquet file of the selection, sent row group by row group (``scan``: as for
    :func:`csv_chunks`)."""
    schema = parquet_schema()
    sink = _Sink()
    writer = pq.ParquetWriter(sink, schema)
    # Each fetched batch becomes Arrow columns at once, so the server holds one batch
    # of Python rows: holding a row group's worth (100,000 tuples of 36 values) made the
    # garbage collector walk millions of objects again and again.
    pending: list[pa.RecordBatch] = []
    held = 0

    def columns(rows: Sequence[Any]) -> pa.RecordBatch:
        cols = list(zip(*rows, strict=True)) if rows else [()] * len(MEASUREMENT_FIELDS)
        arrays = [
            _arrow_column(cols[i], f, schema.field(i).type)
            for i, f in enumerate(MEASUREMENT_FIELDS)
        ]
        return pa.RecordBatch.from_arrays(arrays, schema=schema)

    def flush() -> bytes:
        nonlocal held
        table = pa.Table.from_batches(pending or [columns([])], schema=schema)
        writer.write_table(table, row_group_size=row_group)
        pending.clear()
        held = 0
        return sink.take()

    wrote = False
    try:
        with closing(_batches(source, q, False, batch, scan)) as batches:
            for rows in batches:
                pending.append(columns(rows))
                held += len(rows)
                if progress:
                    progress(len(rows))
                if held >= row_group:
                    wrote = True
                    yield flush()
        if pending or not wrote:  # an empty selection is still a file with the schema
            yield flush()
    finally:
        writer.close()
    yield sink.take()
