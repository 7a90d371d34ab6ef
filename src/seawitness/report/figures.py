"""The report's figures: the region's station map, time series with limit lines, and the
split-sample (lab comparison) plot.

Maps and time series are the dashboard's own drawings (:mod:`seawitness.charts.svg`), so a
chart reads the same in the browser, the HTML report and its PDF. A series of tens of
thousands of results is thinned before drawing, deterministically: per time bin the
highest detected result and the highest detection limit are kept, so no peak and no limit
line crossing can disappear; the caption says how many results each chart stands for.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from pathlib import Path
from typing import Any

from seawitness.analysis.baseline import DISCHARGE_START
from seawitness.analysis.limits import RuleSet
from seawitness.charts import svg
from seawitness.harmonize.units import ConversionError, conversion_factor
from seawitness.model.records import Basis
from seawitness.model.times import parse_instant
from seawitness.model.zones import OUTLET
from seawitness.service import point

__all__ = ["levels_for", "region_map", "score_plot", "series_figure", "thin"]

#: The figures' styles, inside each SVG: a PDF renderer draws an inline SVG with the
#: styles the SVG itself holds, not the page's.
SVG_CSS = (Path(__file__).parent / "templates" / "svg.css").read_text(encoding="utf-8")

#: Above this many points a series is thinned to the extremes per time bin.
MAX_POINTS = 1500
BINS = 500


def styled(svg_text: str) -> str:
    """Each ``<svg ...>`` of ``svg_text`` with :data:`SVG_CSS` as its first child."""
    out, pos = [], 0
    while (i := svg_text.find("<svg", pos)) >= 0:
        j = svg_text.index(">", i) + 1
        out.append(svg_text[pos:j] + "<style>" + SVG_CSS + "</style>")
        pos = j
    out.append(svg_text[pos:])
    return "".join(out)


def region_map(stations: Sequence[Mapping[str, Any]], labels: Mapping[str, str]) -> str:
    """The region's stations with results, on the coastline, coloured by zone."""
    known = [s for s in stations if s.get("coords_known")]
    lons = [s["lon"] for s in known] or [OUTLET[1]]
    lats = [s["lat"] for s in known] or [OUTLET[0]]
    pad_x = max(0.03, 0.1 * (max(lons) - min(lons)))
    pad_y = max(0.025, 0.1 * (max(lats) - min(lats)))
    bbox = (min(lons) - pad_x, min(lats) - pad_y, max(lons) + pad_x, max(lats) + pad_y)
    near = max(lons) - min(lons) < 0.3 and max(lats) - min(lats) < 0.3
    rows = [{**s, "n_results": s.get("n_results", 0)} for s in stations]
    return styled(
        svg.station_map(
            rows,
            bbox=bbox,
            width=640,
            height=440,
            title=labels["title"],
            labels=labels,
            href=lambda st: f"#station-{st['org']}-{st['code']}",
            detail=near,
        )
    )


def levels_for(
    rule_set: RuleSet, medium: str, nuclide: str, unit: str, basis: str
) -> list[dict[str, Any]]:
    """The rule set's limits that bound ``nuclide`` in ``medium``, in the chart's unit.

    A sum's limit (e.g. Cs-134 + Cs-137 <= 100 Bq/kg) bounds each of its terms, so it is
    drawn on each term's chart and titled as the sum.
    """
    out = []
    for rule in rule_set.rules:
        if rule.aggregation not in ("single", "sum") or nuclide not in rule.nuclides:
            continue
        if medium not in {m.value for m in rule.media}:
            continue
        try:
            f = conversion_factor(
                rule.unit, unit, nuclide=nuclide, basis=rule.basis, to_basis=Basis(basis)
            )
        except ConversionError:
            continue
        title = rule.title if rule.aggregation == "single" else f"{'+'.join(rule.nuclides)}"
        out.append(
            {
                "rule_id": rule.id,
                "level": rule.level,
                "title": title,
                "limit": rule.limit * f,
                "confidence": rule.confidence,
                "low_confidence": rule.low_confidence,
                "source": rule.source,
            }
        )
    return sorted(out, key=lambda d: (d["limit"], d["rule_id"]))


def thin(points: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """At most about 2 x :data:`BINS` points: per time bin, the highest detected result and
    the highest detection limit (first in leaf order on ties)."""
    if len(points) <= MAX_POINTS:
        return points
    t0, t1 = points[0]["sampled_at"], points[-1]["sampled_at"]
    a, b = parse_instant(t0).timestamp(), parse_instant(t1).timestamp()
    width = max((b - a) / BINS, 1.0)
    best: dict[tuple[int, bool], dict[str, Any]] = {}
    for p in points:
        i = int((parse_instant(p["sampled_at"]).timestamp() - a) // width)
        det = p["value"] is not None
        y = p["value"] if det else p.get("detection_limit")
        if y is None:
            continue
        key = (i, det)
        cur = best.get(key)
        cy = None if cur is None else (cur["value"] if det else cur["detection_limit"])
        if cur is None or y > cy:
            best[key] = p
    return sorted(best.values(), key=lambda p: (p["sampled_at"], p["leaf_index"]))


def series_figure(
    rows: Sequence[Mapping[str, Any]],
    rule_set: RuleSet,
    medium: str,
    nuclide: str,
    labels: Mapping[str, str],
) -> dict[str, Any] | None:
    """The time series of one nuclide in one medium over the region, in its most common
    unit, with the rule set's limits; None when there is nothing to draw."""
    mine = [r for r in rows if r["medium"] == medium and r["nuclide"] == nuclide]
    if not mine:
        return None
    units: dict[tuple[str, str], int] = {}
    for r in mine:
        units[(r["unit"], r["basis"])] = units.get((r["unit"], r["basis"]), 0) + 1
    (unit, basis), n = sorted(units.items(), key=lambda kv: (-kv[1], kv[0]))[0]
    pts = [point(dict(r)) for r in mine if (r["unit"], r["basis"]) == (unit, basis)]
    drawn = thin(pts)
    levels = levels_for(rule_set, medium, nuclide, unit, basis)
    chart = svg.series_chart(
        drawn,
        levels,
        nuclide=f"{nuclide} ({medium})",
        unit=unit,
        labels=labels,
        discharge_start=DISCHARGE_START,
    )
    return {
        "medium": medium,
        "nuclide": nuclide,
        "unit": unit,
        "n": len(pts),
        "drawn": len(drawn),
        "other_units": len(mine) - n,
        "levels": levels,
        "svg": styled(chart),
    }


def _band(x0: float, x1: float, h: int, fill: str) -> str:
    return f'<rect x="{x0:.1f}" y="10" width="{x1 - x0:.1f}" height="{h - 30}" fill="{fill}"/>'


def score_plot(scores: Sequence[Mapping[str, Any]], title: str) -> str:
    """Zeta scores of the split samples' laboratories (ISO 13528 clause 9.6), one row per
    sample and laboratory, with the |zeta| = 2 and 3 bands; empty text when none."""
    items: list[tuple[str, float]] = []
    for s in scores:
        for sc in s.get("scores", []):
            if sc.get("zeta") is not None:
                items.append((f"{s['sample_id']} {s['nuclide']} {sc['lab']}", float(sc["zeta"])))
    if not items:
        return ""
    items = items[:40]
    w, row, ml = 640, 16, 260
    h = 30 + row * len(items)
    lim = max(4.0, min(10.0, max(abs(z) for _, z in items) + 0.5))

    def x(z: float) -> float:
        z = max(-lim, min(lim, z))
        return ml + (z + lim) / (2 * lim) * (w - ml - 20)

    out = [
        f'<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>',
        _band(x(-3), x(3), h, "#fdebd0"),
        _band(x(-2), x(2), h, "#d5f5e3"),
    ]
    for z in (-3.0, -2.0, 0.0, 2.0, 3.0):
        out.append(
            f'<line x1="{x(z):.1f}" x2="{x(z):.1f}" y1="10" y2="{h - 20}" stroke="#999"/>'
            f'<text x="{x(z):.1f}" y="{h - 6}" text-anchor="middle" class="tick">{z:g}</text>'
        )
    for i, (label, z) in enumerate(items):
        y = 18 + i * row
        out.append(
            f'<text x="{ml - 6}" y="{y + 4}" text-anchor="end" class="tick">{escape(label)}</text>'
            f'<circle cx="{x(z):.1f}" cy="{y}" r="4" fill="#1f6fb2"><title>zeta {z:.2f}</title>'
            "</circle>"
        )
    out.append("</svg>")
    return styled("".join(out))
