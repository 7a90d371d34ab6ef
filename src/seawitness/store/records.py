"""From index rows to the full records the log holds.

The ``measurements`` table holds every field of every version of a measurement (since
migration 0004), so the analyses and the exports build records from index rows alone;
the log entry (the signed bytes) is read where the entry itself is wanted: a record
page, a proof, the tests that check the index against the log. This module is the one
place that knows how a record sits in an entry and in an index row.
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
    """The current version of every measurement matching ``q``, as full records (read
    from the index, which holds every field of the record)."""
    return [measurement_from_index(r) for r in store.measurements(q) if not r["retracted"]]


def measurement_from_index(row: dict[str, Any]) -> Measurement:
    """The :class:`Measurement` an index row holds, without a trip to the log entry: the
    same record (the same canonical bytes and id) as the one logged."""
    d: dict[str, Any] = {k: v for k, v in row.items() if k in _MEASUREMENT_FIELDS and v is not None}
    for k in ("sampled_at", "reference_date"):
        if isinstance(d.get(k), datetime):
            d[k] = format_utc(d[k])
    if isinstance(d.get("extra"), str):
        d["extra"] = json.loads(d["extra"])
    d["schema"] = "seawitness/measurement/v1"
    return Measurement.from_dict(d)
