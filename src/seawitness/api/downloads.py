"""Streaming downloads of measurements: CSV, Parquet and newline-delimited JSON.

The columns and cell formats are the export module's (:data:`MEASUREMENT_FIELDS`), so a
file downloaded from the API is the same as one written by ``seawitness export``: every
field of the logged record, units in the CSV header, ISO 8601 UTC times and the MARIS
detection codes unchanged.

Rows are read page by page (``batch`` rows at a time) so a whole-dataset download needs
memory for one page, not for the dataset. Parquet cannot be written as a stream of
independent chunks, so it is built row group by row group in a spooled temporary file and
then sent.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from seawitness.export.rows import export_rows
from seawitness.export.tables import _ARROW, _cell, _header
from seawitness.model.columns import MEASUREMENT_FIELDS
from seawitness.store.store import Query, Store

BATCH = 5000


def _year_windows(store: Store, q: Query) -> Iterator[Query]:
    """``q`` cut into one query per calendar year of sampling time, oldest first.

    The store pages with LIMIT/OFFSET, which rescans every skipped row; reading a whole
    table that way costs O(n²). A year's rows are read whole instead (tens of thousands at
    most), which keeps a full download linear.
    """
    first = store.measurements(replace(q, limit=1, offset=0))
    if not first:
        return
    start = first[0]["sampled_at"].year
    stop = (q.until.year if q.until else datetime.now(UTC).year + 1) + 1
    for year in range(start, stop):
        lo = datetime(year, 1, 1, tzinfo=UTC)
        hi = datetime(year + 1, 1, 1, tzinfo=UTC)
        since = max(lo, q.since) if q.since else lo
        until = min(hi, q.until) if q.until else hi
        if since < until:
            yield replace(q, since=since, until=until, limit=None, offset=0)


def rows(store: Store, q: Query, batch: int = BATCH) -> Iterator[dict[str, Any]]:
    """Full export rows for ``q`` (its limit and offset respected), oldest first."""
    skip, left = q.offset, q.limit
    for window in _year_windows(store, q):
        for row in export_rows(store, window, batch=batch):
            if skip:
                skip -= 1
                continue
            if left is not None:
                if left <= 0:
                    return
                left -= 1
            yield row


def csv_stream(store: Store, q: Query) -> Iterator[str]:
    """UTF-8 CSV text: a header with units, then one line per result."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow([_header(f) for f in MEASUREMENT_FIELDS])
    for n, r in enumerate(rows(store, q), start=1):
        w.writerow([_cell(r.get(f.name)) for f in MEASUREMENT_FIELDS])
        if n % 1000 == 0:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()


def _json_default(v: Any) -> Any:
    if isinstance(v, datetime):
        return _cell(v)
    raise TypeError(f"cannot encode {type(v).__name__}")


def ndjson_stream(store: Store, q: Query) -> Iterator[str]:
    """One JSON object per line: the full record with its log index fields."""
    for r in rows(store, q):
        yield json.dumps(r, ensure_ascii=False, default=_json_default, sort_keys=True) + "\n"


def _schema() -> pa.Schema:
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


def _arrow_value(v: Any, typ: str) -> Any:
    if typ == "string" and isinstance(v, dict):
        return json.dumps(v, ensure_ascii=False, sort_keys=True) if v else None
    return v


def parquet_file(store: Store, q: Query) -> tempfile.SpooledTemporaryFile[bytes]:
    """A Parquet file of the results (one row group per page), rewound for reading."""
    schema = _schema()
    # Handed open to the response, which closes it when sent (see iter_file).
    out: tempfile.SpooledTemporaryFile[bytes] = tempfile.SpooledTemporaryFile(  # noqa: SIM115
        max_size=64 * 1024 * 1024
    )
    writer = pq.ParquetWriter(out, schema)
    page: list[dict[str, Any]] = []
    written = [0]

    def flush() -> None:
        written[0] += 1
        cols = {
            f.name: [_arrow_value(r.get(f.name), f.type) for r in page] for f in MEASUREMENT_FIELDS
        }
        writer.write_table(pa.table(cols, schema=schema))
        page.clear()

    for r in rows(store, q):
        page.append(r)
        if len(page) >= BATCH:
            flush()
    if page or not written[0]:  # an empty result is still a file with the schema
        flush()
    writer.close()
    out.seek(0)
    return out


def iter_file(f: Any, chunk: int = 1 << 16) -> Iterator[bytes]:
    """Read a file in chunks and close it at the end."""
    try:
        while data := f.read(chunk):
            yield data
    finally:
        f.close()
