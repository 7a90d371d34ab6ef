"""Regions of a report: named ones as data, boxes and station lists given inline."""

from __future__ import annotations

import pytest

from seawitness.model.zones import ZONE_OFFSHORE, ZONE_OUTLET, ZONE_SQUARE
from seawitness.report.regions import RegionError, list_regions, resolve_region


def _st(org: str, code: str, lat: float | None, lon: float | None, zone: str) -> dict:
    return {"org": org, "code": code, "lat": lat, "lon": lon, "zone": zone,
            "coords_known": lat is not None}  # fmt: skip


def test_named_regions_carry_source_and_grade() -> None:
    assert {"fukushima", "3km", "10km"} <= set(list_regions())
    for name in list_regions():
        r = resolve_region(name)
        assert r.source and r.confidence
    assert resolve_region("fukushima").low_confidence  # borders from memory
    assert not resolve_region("3km").low_confidence


def test_zones_of_the_model() -> None:
    three, ten = resolve_region("3km"), resolve_region("10km")
    near = _st("TEPCO", "T-0-1A", 37.4306, 141.0467, ZONE_OUTLET)
    square = _st("MOE", "E-S13", 37.45, 141.08, ZONE_SQUARE)
    far = _st("NRA", "X", 37.0, 142.5, ZONE_OFFSHORE)
    assert three.contains(near) and not three.contains(square)
    assert ten.contains(near) and ten.contains(square) and not ten.contains(far)


def test_fukushima_has_its_port_points_without_coordinates() -> None:
    f = resolve_region("fukushima")
    assert f.contains(_st("TEPCO", "Center of harbor", None, None, "unknown"))
    assert not f.contains(_st("MOE", "Center of harbor", None, None, "unknown"))
    assert f.contains(_st("Fukushima Pref.", "ORBS-278", 37.6265, 141.1, ZONE_OFFSHORE))
    assert not f.contains(_st("MOE", "E-31", 39.059, 141.728, ZONE_OFFSHORE))  # Iwate


def test_inline_box_and_stations() -> None:
    box = resolve_region("bbox:141.0,37.3,141.2,37.5")
    assert box.contains(_st("A", "a", 37.4, 141.1, ZONE_OFFSHORE))
    assert not box.contains(_st("A", "a", 37.6, 141.1, ZONE_OFFSHORE))
    sts = resolve_region("stations:TEPCO/T-1,E-S13")
    assert sts.contains(_st("TEPCO", "T-1", None, None, "unknown"))
    assert not sts.contains(_st("MOE", "T-1", None, None, "unknown"))
    assert sts.contains(_st("MOE", "E-S13", None, None, "unknown"))


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("atlantis", "unknown region 'atlantis'"),
        ("bbox:1,2,3", "four numbers"),
        ("bbox:3,2,1,4", "min_lon<=max_lon"),
        ("stations:", "at least one station"),
    ],
)
def test_bad_regions(spec: str, message: str) -> None:
    with pytest.raises(RegionError, match=message):
        resolve_region(spec)
