"""Rows to export: the full logged records behind the current (or every) version.

The index table holds only the queryable columns; the log entry holds the whole record.
Exports read the entries so that every field of the record's JSON reaches the file.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from seawitness.model import parse_utc
from seawitness.store.records import with_records
from seawitness.store.store import Query, Store

_TIME_FIELDS = ("sampled_at", "reference_date")


def export_rows(
    store: Store, q: Query | None = None, batch: int = 5000
) -> Iterator[dict[str, Any]]:
    """Index columns plus the full record, for each measurement matching ``q``."""
    for r, rec in with_records(store, store.measurements(q), batch):
        row = {k: v for k, v in (rec or {}).items() if k != "schema"}
        for k in _TIME_FIELDS:
            if k in row:
                row[k] = parse_utc(row[k])
        for k in ("leaf_index", "record_id", "version", "supersedes", "reason", "retracted"):
            row[k] = r[k]
        if r["retracted"]:  # a retraction carries no record; show the index columns
            row.update({k: v for k, v in r.items() if k not in row})
        yield row
