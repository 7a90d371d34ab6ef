"""Before/after comparisons read from the store: one station, or every station of a zone."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from seawitness.analysis.baseline.compare import compare_before_after, regional_trend
from seawitness.analysis.baseline.results import BaselineError, BeforeAfter, ZoneBeforeAfter
from seawitness.analysis.from_store import current_measurements, station_zones
from seawitness.model.records import Measurement
from seawitness.store.store import Query, Store

__all__ = ["station_baseline", "zone_baseline"]


def station_baseline(
    store: Store,
    station: str,
    nuclide: str,
    *,
    medium: str = "seawater",
    **options: Any,
) -> BeforeAfter:
    """:func:`compare_before_after` for one station's current results in the store.

    ``options`` are those of :func:`compare_before_after` (``discharge_start``,
    ``baseline_since``, ``until``, ``method``, ``top``).

    :raises BaselineError: the station has no results for the nuclide.
    """
    ms = current_measurements(store, Query(station=station, nuclide=nuclide, medium=medium))
    if not ms:
        raise BaselineError(f"no {medium} results for {nuclide} at station {station!r}")
    return compare_before_after(ms, **options)


def zone_baseline(
    store: Store,
    zone: str,
    nuclide: str,
    *,
    medium: str = "seawater",
    **options: Any,
) -> ZoneBeforeAfter:
    """Before/after comparison for every station of ``zone`` and for the zone pooled.

    Stations are those the station table tags with ``zone`` (e.g. ``"outlet-3km"``,
    TEPCO's ten points near the outlet). Stations with no results for the nuclide are
    left out; the pooled trend is the regional Kendall test.

    :raises BaselineError: no station of the zone has results for the nuclide.
    """
    zones = station_zones(store)
    codes = sorted(code for code, z in zones.items() if z == zone)
    if not codes:
        known = ", ".join(sorted(set(zones.values()))) or "none"
        raise BaselineError(f"no station in zone {zone!r}; zones in the store: {known}")
    per: list[BeforeAfter] = []
    pooled: list[Measurement] = []
    for code in codes:
        ms = current_measurements(store, Query(station=code, nuclide=nuclide, medium=medium))
        if not ms:
            continue
        one = compare_before_after(ms, **options)
        if one.before.n == 0 and one.after.n == 0:
            continue  # nothing in the compared periods (e.g. a point sampled until 2019)
        pooled += ms
        per.append(one)
    if not per:
        raise BaselineError(f"no {medium} results for {nuclide} in zone {zone!r}")
    whole = compare_before_after(
        pooled, scope=f"zone {zone} ({len(per)} stations)", trend=False, **options
    )
    trends = [b.trend for b in per if b.trend is not None]
    if trends:
        whole = replace(whole, trend=regional_trend(trends), trend_refusal=None)
        whole.notes.append(
            f"trend: regional Kendall test over the {len(trends)} station(s) with a "
            "post-discharge trend test; slope = median of their slopes"
        )
    else:
        whole = replace(whole, trend_refusal="no station has a post-discharge trend test")
    return ZoneBeforeAfter(zone=zone, pooled=whole, stations=per)
