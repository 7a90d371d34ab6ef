"""Regions of a report: named areas as data, or a box or a list of stations given inline.

A report is about the results of one region. The named ones live in ``regions.toml`` next
to this module, each with the source of its boundary and a confidence grade, like the rule
sets (:mod:`seawitness.analysis.limits`): a boundary graded LOW is configuration the report
marks as such, never a silent constant. Three spellings are accepted:

``fukushima``, ``3km``, ``10km``
    a named region; ``3km`` and ``10km`` are the zones the model tags stations with
    (:mod:`seawitness.model.zones`);
``bbox:min_lon,min_lat,max_lon,max_lat``
    the stations whose coordinates fall in the box (degrees, WGS 84, GeoJSON order);
``stations:ORG/CODE,CODE,...``
    the listed stations (a code without ``ORG/`` matches that code of any organisation).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from seawitness.analysis.limits import is_low_confidence
from seawitness.errors import InputError
from seawitness.service.params import BadParameter, parse_bbox

__all__ = ["REGIONS_FILE", "Region", "RegionError", "list_regions", "resolve_region"]

REGIONS_FILE = Path(__file__).parent / "regions.toml"
_SCHEMA = "seawitness/regions/v1"


class RegionError(InputError):
    """A region name or spelling that cannot be used; the message says what is accepted."""


@dataclass(frozen=True)
class Region:
    """Where a report's results come from; ``spec`` is how it was asked for.

    :ivar bbox: (min_lon, min_lat, max_lon, max_lat) [degrees], or None.
    :ivar zones: zone tags whose stations belong to the region, or None.
    :ivar stations: (org, code) pairs that belong to it; org ``""`` matches any org.
    """

    id: str
    spec: str
    title: str
    bbox: tuple[float, float, float, float] | None
    zones: frozenset[str] | None
    stations: frozenset[tuple[str, str]]
    source: str
    confidence: str
    operator: str | None
    operator_source: str

    @property
    def low_confidence(self) -> bool:
        return is_low_confidence(self.confidence, self.source)

    def contains(self, station: Mapping[str, Any]) -> bool:
        """Whether a station row (``org``, ``code``, ``lat``, ``lon``, ``zone``,
        ``coords_known``) belongs to the region."""
        org, code = station["org"], station["code"]
        if (org, code) in self.stations or ("", code) in self.stations:
            return True
        if self.zones is not None and station["zone"] in self.zones:
            return True
        if self.bbox is not None and station.get("coords_known"):
            x0, y0, x1, y1 = self.bbox
            lon, lat = station["lon"], station["lat"]
            return lon is not None and lat is not None and x0 <= lon <= x1 and y0 <= lat <= y1
        return False

    def describe(self) -> dict[str, Any]:
        """The region as the report's provenance states it."""
        return {
            "id": self.id,
            "spec": self.spec,
            "title": self.title,
            "bbox": list(self.bbox) if self.bbox else None,
            "zones": sorted(self.zones) if self.zones is not None else None,
            "stations": sorted(f"{o}/{c}" if o else c for o, c in self.stations),
            "source": self.source,
            "confidence": self.confidence,
            "low_confidence": self.low_confidence,
            "operator": self.operator,
            "operator_source": self.operator_source,
        }


def _station_refs(items: list[str], where: str) -> frozenset[tuple[str, str]]:
    out = set()
    for item in items:
        if not isinstance(item, str) or not item.strip():
            raise RegionError(f"{where}: a station is 'ORG/CODE' or 'CODE', got {item!r}")
        org, sep, code = item.strip().partition("/")
        out.add((org, code) if sep else ("", org))
    return frozenset(out)


@cache
def _named() -> dict[str, Region]:
    data = tomllib.loads(REGIONS_FILE.read_text(encoding="utf-8"))
    if data.get("schema") != _SCHEMA:
        raise RegionError(f"{REGIONS_FILE.name}: schema must be {_SCHEMA!r}")
    out: dict[str, Region] = {}
    for i, r in enumerate(data.get("regions", [])):
        where = f"{REGIONS_FILE.name}: regions[{i}]"
        for key in ("id", "title", "source", "confidence"):
            if not isinstance(r.get(key), str):
                raise RegionError(f"{where}: missing text field {key!r}")
        bbox = r.get("bbox")
        out[r["id"]] = Region(
            id=r["id"],
            spec=r["id"],
            title=r["title"],
            bbox=(float(bbox[0]), float(bbox[1]), float(bbox[2]), float(bbox[3])) if bbox else None,
            zones=frozenset(r["zones"]) if "zones" in r else None,
            stations=_station_refs(list(r.get("stations", [])), f"{where}.stations"),
            source=r["source"],
            confidence=r["confidence"],
            operator=r.get("operator"),
            operator_source=str(r.get("operator_source", "")),
        )
    return out


def list_regions() -> list[str]:
    """The names of the regions in ``regions.toml``."""
    return sorted(_named())


def resolve_region(spec: str, *, operator: str | None = "TEPCO") -> Region:
    """The region a report was asked for (see the module docstring for the spellings).

    :param operator: the organisation operating the facility, for a region given inline
        (named regions name their own).
    :raises RegionError: an unknown name or a malformed box or station list.
    """
    text = (spec or "").strip()
    named = _named()
    if text in named:
        return named[text]
    inline_source = "given on the command line"
    op_source = "the operator of Fukushima Daiichi (default for a region given inline)"
    if text.startswith("bbox:"):
        try:
            box = parse_bbox(text.removeprefix("bbox:"))
        except BadParameter as exc:
            raise RegionError(f"region {text!r}: {exc.detail}") from None
        assert box is not None
        return Region(
            "bbox", text, f"box {text[5:]}", box, None, frozenset(), inline_source, "HIGH",
            operator, op_source,
        )  # fmt: skip
    if text.startswith("stations:"):
        items = [s for s in text.removeprefix("stations:").split(",") if s.strip()]
        if not items:
            raise RegionError(f"region {text!r}: list at least one station after 'stations:'")
        refs = _station_refs(items, f"region {text!r}")
        return Region(
            "stations", text, f"stations {', '.join(sorted(i.strip() for i in items))}",
            None, None, refs, inline_source, "HIGH", operator, op_source,
        )  # fmt: skip
    raise RegionError(
        f"unknown region {text!r}; one of {', '.join(list_regions())}, "
        "bbox:min_lon,min_lat,max_lon,max_lat or stations:ORG/CODE,..."
    )
