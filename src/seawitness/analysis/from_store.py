"""Feeding the analyses from the store: current records as Measurement objects."""

from __future__ import annotations

from seawitness.export.rows import record_of
from seawitness.model import Measurement
from seawitness.store.store import Query, Store


def current_measurements(store: Store, q: Query | None = None) -> list[Measurement]:
    """The current version of every measurement matching ``q``, as full records."""
    index = store.measurements(q)
    out: list[Measurement] = []
    for i in range(0, len(index), 5000):
        chunk = index[i : i + 5000]
        datas = store.entries_data([r["leaf_index"] for r in chunk])
        for r in chunk:
            rec = record_of(datas[r["leaf_index"]])
            if rec is not None:
                out.append(Measurement.from_dict(rec))
    return out


def station_zones(store: Store) -> dict[str, str]:
    """Station code → zone tag, from the station table."""
    return {st["code"]: st["zone"] for st in store.stations()}
