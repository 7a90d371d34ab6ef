"""Zone tags for stations: near the discharge outlet, in the 10 km square, or offshore.

TEPCO's sea-area levels for tritium differ by zone (METI, "Monitoring of ALPS treated water":
700 Bq/L discharge suspension "in the vicinity of the discharge outlet", 30 Bq/L "within
the 10 km square" outside it). The vicinity is defined by TEPCO as ten named sampling
points within about 3 km of the outlet; those are tagged by name.

For other stations the tag comes from distance to the outlet. The outlet's coordinates
are not published in a source we hold: ``OUTLET`` is an estimate bracketed by the nearest
monitoring points (T-0-1A, T-0-2, T-A2), marked LOW confidence in the design notes, so a
tag derived from it is an approximation and says so (``zone_source``).
"""

from __future__ import annotations

import math

# TEPCO's ten points "in the vicinity of the discharge outlet" (within ~3 km).
OUTLET_VICINITY: frozenset[str] = frozenset(
    {"T-0-1", "T-0-1A", "T-0-2", "T-0-3", "T-0-3A", "T-1", "T-2", "T-A1", "T-A2", "T-A3"}
)

OUTLET = (37.427, 141.046)  # LOW confidence estimate (lat, lon), see module docstring
EARTH_RADIUS_KM = 6371.0088  # IUGG mean Earth radius

ZONE_OUTLET = "outlet-3km"
ZONE_SQUARE = "square-10km"
ZONE_OFFSHORE = "offshore"
ZONE_UNKNOWN = "unknown"


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance in km."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def zone_for(code: str | None, lat: float | None, lon: float | None) -> tuple[str, str]:
    """Return ``(zone, zone_source)`` for a station.

    ``zone_source`` is ``"named"`` (TEPCO's list), ``"distance"`` (from the estimated
    outlet position) or ``"none"`` (no coordinates).
    """
    if code and code in OUTLET_VICINITY:
        return ZONE_OUTLET, "named"
    if lat is None or lon is None:
        return ZONE_UNKNOWN, "none"
    # METI words the levels by place: "in the vicinity of the discharge outlet" (within
    # about 3 km) and "outside it, within the 10 km square". Another organisation's point
    # 100 m from the outlet is in the vicinity too, so distance decides for unnamed points
    # (flagged as derived from the estimated outlet position).
    if distance_km(lat, lon, *OUTLET) <= 3.0:
        return ZONE_OUTLET, "distance"
    # 10 km x 10 km square centred on the outlet: +-5 km north-south and east-west.
    dy = distance_km(lat, OUTLET[1], OUTLET[0], OUTLET[1])
    dx = distance_km(OUTLET[0], lon, OUTLET[0], OUTLET[1])
    if dy <= 5.0 and dx <= 5.0:
        return ZONE_SQUARE, "distance"
    return ZONE_OFFSHORE, "distance"
