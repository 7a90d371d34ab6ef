"""Feeding the analyses from the store: current records and station zones."""

from __future__ import annotations

from seawitness.store.records import current_measurements
from seawitness.store.store import Store

__all__ = ["current_measurements", "station_zones"]


def station_zones(store: Store) -> dict[str, str]:
    """Station code → zone tag, from the station table."""
    return {st["code"]: st["zone"] for st in store.stations()}
