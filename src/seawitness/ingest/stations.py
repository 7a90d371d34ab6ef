"""Station tables that come with the public sources, turned into :class:`Station` objects.

ORBS (monitororbs.jp) names no organisation and, for most locations, no station code in its
raw files: a file is only known by its number (``Seawater_10_<id>.csv``). The IAEA RML
repository keeps a hand-made table from file id to organisation, station code and
coordinates written in degrees-minutes-seconds (``station_by_id.json``), and a table of
station codes with decimal coordinates taken from the Ministry of the Environment's
station list (``station_points.csv``). The hand-made table has typos (a latitude written
``337°`` for ``37°``): such coordinates are refused for that id, the id keeps its
organisation and code, and a warning names it.

The NRA workbook's stations (``close1F_stations.csv``) are the 11 TEPCO points near the
outlet, with coordinates to two decimals only (as the workbook gives them).
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from seawitness.data import bundled_path
from seawitness.model import RecordError, Station, check_coordinates
from seawitness.model.zones import zone_for

# ORBS file-name prefixes and the keys the station table uses for them.
ORBS_CATEGORIES = {"Seawater": "Seawater", "Fishes": "Fish", "Seaweeds": "Seaweed"}

_DMS = re.compile(
    r"^\s*(?P<deg>\d+(?:\.\d+)?)\s*°\s*(?:(?P<min>\d+(?:\.\d+)?)\s*[′']\s*)?"
    r"(?:(?P<sec>\d+(?:\.\d+)?)\s*(?:″|\"|′′|'')\s*)?(?P<hem>[NSEW])\s*$"
)


def parse_dms(text: str) -> float:
    """Parse one degrees-minutes-seconds angle such as ``37°25′24″N`` to decimal degrees.

    South and west are negative. Minutes and seconds must be below 60; the degree value
    is not range-checked here (that is :func:`check_coordinates`' job, so a typo such as
    ``337°`` surfaces as "outside the Earth" rather than as a parse error).
    """
    m = _DMS.match(text)
    if not m:
        raise ValueError(f"not a DMS angle: {text!r} (expected e.g. 37°25′24″N)")
    deg = float(m.group("deg"))
    minutes = float(m.group("min") or 0)
    sec = float(m.group("sec") or 0)
    if minutes >= 60 or sec >= 60:
        raise ValueError(f"minutes/seconds must be below 60 in {text!r}")
    value = deg + minutes / 60 + sec / 3600
    return -value if m.group("hem") in "SW" else value


def parse_dms_pair(text: str) -> tuple[float, float]:
    """Parse ``37°25′24″N/141°02′29″E`` (the ORBS table's form) to ``(lat, lon)``."""
    parts = [p for p in re.split(r"[/,]", text) if p.strip()]
    if len(parts) != 2:
        raise ValueError(f"expected 'lat/lon' in DMS, got {text!r}")
    a, b = parse_dms(parts[0]), parse_dms(parts[1])
    if parts[0].strip().endswith(("E", "W")):  # written lon/lat
        a, b = b, a
    return a, b


@dataclass(frozen=True, slots=True)
class OrbsEntry:
    """One row of the ORBS station table: what the file with this id is."""

    category: str  # Seawater | Fish | Seaweed
    file_id: int
    org: str
    code: str  # may be "" (the table leaves most codes blank)
    lat: float | None
    lon: float | None
    coords_from: str  # "station_points" | "station_by_id" | "none"


@dataclass
class OrbsStationTable:
    """The ORBS station table, indexed by file id and by (org, code)."""

    entries: dict[tuple[str, int], OrbsEntry] = field(default_factory=dict)
    points: dict[tuple[str, str], tuple[float, float]] = field(default_factory=dict)
    points_by_code: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def get(self, category: str, file_id: int) -> OrbsEntry | None:
        return self.entries.get((category, file_id))

    def point(self, org: str, code: str) -> tuple[float, float] | None:
        """Decimal coordinates from station_points.csv for a code (same org first)."""
        if not code:
            return None
        p = self.points.get((org, code))
        if p is not None:
            return p
        cands = self.points_by_code.get(code, [])
        return cands[0] if len(cands) == 1 else None

    def known_ids(self) -> list[int]:
        return sorted({i for (_, i) in self.entries})


def load_orbs_table(by_id: Path | None = None, points: Path | None = None) -> OrbsStationTable:
    """Load ``station_by_id.json`` and ``station_points.csv`` (bundled copies by default).

    Coordinates: station_points.csv where the code matches (it comes from the ministry's
    list with decimal degrees), else the DMS string of the id table; coordinates that are
    not on the Earth are dropped for that id with a warning.
    """
    by_id = by_id or bundled_path("orbs", "station_by_id.json")
    points = points or bundled_path("orbs", "station_points.csv")
    table = OrbsStationTable()
    with points.open(encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            code = (row.get("station") or "").strip()
            try:
                plat, plon = float(row["lat"]), float(row["lon"])
                check_coordinates(plat, plon)
            except (ValueError, RecordError) as exc:
                table.warnings.append(f"station_points.csv: {code}: {exc}")
                continue
            key = (row["org"].strip(), code)
            if key in table.points:
                # Duplicated codes (T-D1, T-D5, ...) with slightly different coordinates:
                # the first row wins, as the table lists the ministry's main point first.
                continue
            table.points[key] = (plat, plon)
            table.points_by_code.setdefault(code, []).append((plat, plon))
    raw = json.loads(by_id.read_text(encoding="utf-8"))
    for category, rows in raw.items():
        for row in rows:
            fid = int(row["id"])
            org = str(row.get("org") or "").strip()
            code = str(row.get("station") or "").strip()
            lat: float | None = None
            lon: float | None = None
            source = "none"
            p = table.point(org, code) if code else None
            if p is not None:
                lat, lon = p
                source = "station_points"
            elif row.get("coordinates"):
                try:
                    la, lo = parse_dms_pair(str(row["coordinates"]))
                    check_coordinates(la, lo)
                    lat, lon, source = la, lo, "station_by_id"
                except (ValueError, RecordError) as exc:
                    table.warnings.append(
                        f"ORBS station table id {fid} ({category}): coordinates "
                        f"{row['coordinates']!r} refused ({exc}); kept with coordinates unknown"
                    )
            table.entries[(category, fid)] = OrbsEntry(category, fid, org, code, lat, lon, source)
    return table


def load_nra_stations(path: Path | None = None) -> dict[str, Station]:
    """The NRA workbook's station list (code, lat, lon to two decimals) as Stations."""
    path = path or bundled_path("nra", "close1F_stations.csv")
    out: dict[str, Station] = {}
    with path.open(encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            code = row["station"].strip()
            lat, lon = float(row["lat"]), float(row["lon"])
            zone, _ = zone_for(code, lat, lon)
            out[code] = Station(code, "TEPCO", None, lat, lon, zone, "nra")
    return out
