"""From index rows to the full records the log holds.

The ``measurements`` table holds the queryable columns of every version; the log entry
holds the whole signed record. Whatever needs every field of a record (exports, the
analyses, a record page) reads the index to choose, then the entries to get the records,
in batches, through this module: the one place that knows how a record sits in an entry.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from itertools import islice
from typing import Any

from seawitness.model import Measurement
from seawitness.model.times import format_utc
from seawitness.store.store import Query, Store

__all__ = ["current_measurements", "measurement_from_index", "record_of", "with_records"]

BATCH = 5000

_MEASUREMENT_FIELDS = frozenset(Measurement.__dataclass_fields__)


def record_of(entry_data: bytes) -> dict[str, Any] | None:
    """The measurement inside a logged entry: the record itself, or a correction's
    replacement; None for a retraction and for entries that hold no measurement."""
    env = json.loads(entry_data)
    rec = env["record"]
    if env["kind"] == "correction":
        return rec.get("replacement")
    return rec if env["kind"] == "measurement" else None


def with_records(
    store: Store, rows: Iterable[dict[str, Any]], batch: int = BATCH
) -> Iterator[tuple[dict[str, Any], dict[str, Any] | None]]:
    """Each index row with the measurement record of its leaf, reading entries in batches."""
    it = iter(rows)
    while chunk := list(islice(it, batch)):
        datas = store.entries_data([r["leaf_index"] for r in chunk])
        for r in chunk:
            yield r, record_of(datas[r["leaf_index"]])


def current_measurements(store: Store, q: Query | None = None) -> list[Measurement]:
    """The current version of every measurement matching ``q``, as full records."""
    return [
        Measurement.from_dict(rec)
        for _, rec in with_records(store, store.measurements(q))
        if rec is not None
    ]


def measurement_from_index(row: dict[str, Any]) -> Measurement:
    """A :class:`Measurement` from an index row alone: the queryable columns, which are
    what a limits evaluation reads, without a trip to the log entry."""
    d: dict[str, Any] = {k: v for k, v in row.items() if k in _MEASUREMENT_FIELDS and v is not None}
    for k in ("sampled_at", "reference_date"):
        if isinstance(d.get(k), datetime):
            d[k] = format_utc(d[k])
    d["schema"] = "seawitness/measurement/v1"
    return Measurement.from_dict(d)
