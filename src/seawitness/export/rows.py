"""Rows to export: every field of the current (or every) version, from the index.

The index holds every field of the record (migration 0004), so an export reads the
index alone, one statement in batches (see :mod:`seawitness.store.select`). Values are
the record's: a whole number below 2**53 is an integer, as the record's JSON writes it;
``extra`` is its JSON object.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from seawitness.store.select import ordered, selection, stream
from seawitness.store.store import Query, Store, as_utc

_NUMBERS = (
    "value",
    "uncertainty",
    "coverage_factor",
    "detection_limit",
    "depth_m",
    "lat",
    "lon",
)


def export_rows(
    store: Store, q: Query | None = None, batch: int = 5000
) -> Iterator[dict[str, Any]]:
    """Every field of each measurement matching ``q``, with its log index fields."""
    q = q or Query()
    stmt = ordered(selection(q), q)
    for rows in stream(store.engine, stmt, batch):
        for r in rows:
            row = dict(r._mapping)
            for k in _NUMBERS:
                v = row[k]
                if type(v) is float and v.is_integer() and abs(v) < 2**53:
                    row[k] = int(v)
            for k in ("sampled_at", "reference_date"):
                row[k] = as_utc(row[k])
            row["extra"] = json.loads(row["extra"]) if row["extra"] else None
            row["retracted"] = bool(row["retracted"])
            if row["replicate"] == 0:  # as the record: left out
                row["replicate"] = None
            yield row
