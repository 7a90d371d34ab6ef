"""Our own SVG drawings: the station map and the time-series charts.

They are drawn on the server as plain SVG so that a page works with no network, no
third-party script and even no JavaScript, and so that what the public sees is exactly
what a test can read from the HTML.

Map projection: equirectangular around 37.4° N (x = lon·cos 37.4°, y = lat), which keeps
distances near Fukushima Daiichi true to within a few per cent across the map.

Charts follow the rule of the data model: a non-detect is drawn as an open circle at its
detection limit, never as a value; a non-detect with no limit is not drawn and is counted
in the caption.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape
from typing import Any

from seawitness.charts import coast
from seawitness.model.times import parse_instant
from seawitness.model.zones import (
    EARTH_RADIUS_KM,
    OUTLET,
    ZONE_OFFSHORE,
    ZONE_OUTLET,
    ZONE_SQUARE,
)

LAT0 = 37.4  # projection's standard parallel (deg)
_COS0 = math.cos(math.radians(LAT0))
#: Approximate centre of the Fukushima Daiichi site, for the map marker only (not used in
#: any computation; from memory of published maps, accurate to a few hundred metres).
PLANT = (37.421, 141.033)

ZONE_COLOURS = {
    ZONE_OUTLET: "#c0392b",
    ZONE_SQUARE: "#d35400",
    ZONE_OFFSHORE: "#1f6fb2",
}
LEVEL_COLOURS = {"investigation": "#b9770e", "suspension": "#c0392b", "limit": "#6a1b9a"}


def _f(x: float) -> str:
    return f"{x:.1f}"


@dataclass(frozen=True)
class Frame:
    """Maps (lon, lat) into a ``width`` × ``height`` box, keeping the aspect ratio."""

    bbox: tuple[float, float, float, float]
    width: int
    height: int

    @property
    def scale(self) -> float:
        x0, y0, x1, y1 = self.bbox
        return min(self.width / ((x1 - x0) * _COS0), self.height / (y1 - y0))

    def xy(self, lon: float, lat: float) -> tuple[float, float]:
        x0, y0, x1, y1 = self.bbox
        s = self.scale
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        return (
            self.width / 2 + (lon - cx) * _COS0 * s,
            self.height / 2 - (lat - cy) * s,
        )

    def visible(self) -> tuple[float, float, float, float]:
        """The lon/lat box the whole drawing shows (wider than ``bbox`` on one axis)."""
        x0, y0, x1, y1 = self.bbox
        s = self.scale
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        hw, hh = self.width / 2 / (_COS0 * s), self.height / 2 / s
        return (cx - hw, cy - hh, cx + hw, cy + hh)

    def km(self, d: float) -> float:
        """Screen length of ``d`` km (north-south)."""
        return d / (math.pi * EARTH_RADIUS_KM / 180) * self.scale


def _clip(
    ring: Sequence[tuple[float, float]], box: tuple[float, float, float, float]
) -> list[tuple[float, float]]:
    """Sutherland–Hodgman clipping of a polygon to a rectangle (lon/lat), so a map draws
    only the part of a coastline as long as Honshu's that it shows."""
    x0, y0, x1, y1 = box
    edges = (
        (lambda p: p[0] >= x0, lambda a, b: _cross_x(a, b, x0)),
        (lambda p: p[0] <= x1, lambda a, b: _cross_x(a, b, x1)),
        (lambda p: p[1] >= y0, lambda a, b: _cross_y(a, b, y0)),
        (lambda p: p[1] <= y1, lambda a, b: _cross_y(a, b, y1)),
    )
    pts = list(ring)
    for inside, cross in edges:
        if not pts:
            break
        out: list[tuple[float, float]] = []
        prev = pts[-1]
        for cur in pts:
            if inside(cur):
                if not inside(prev):
                    out.append(cross(prev, cur))
                out.append(cur)
            elif inside(prev):
                out.append(cross(prev, cur))
            prev = cur
        pts = out
    return pts


def _cross_x(a: tuple[float, float], b: tuple[float, float], x: float) -> tuple[float, float]:
    t = (x - a[0]) / (b[0] - a[0])
    return (x, a[1] + t * (b[1] - a[1]))


def _cross_y(a: tuple[float, float], b: tuple[float, float], y: float) -> tuple[float, float]:
    t = (y - a[1]) / (b[1] - a[1])
    return (a[0] + t * (b[0] - a[0]), y)


def _ring_path(frame: Frame, ring: Sequence[tuple[float, float]]) -> str:
    """A land polygon clipped to a margin around the view, as an SVG path."""
    pts: list[str] = []
    box = frame.visible()
    for lon, lat in _clip(ring, _expand(box, 0.05 * (box[3] - box[1]))):
        x, y = frame.xy(lon, lat)
        p = f"{_f(x)},{_f(y)}"
        if not pts or pts[-1] != p:
            pts.append(p)
    if len(pts) < 3:
        return ""
    return "M" + "L".join(pts) + "Z"


def _nice_step(span: float, target: int) -> float:
    raw = span / max(target, 1)
    mag = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * mag:
            return m * mag
    return 10 * mag


def station_map(
    stations: Sequence[Mapping[str, Any]],
    *,
    bbox: tuple[float, float, float, float],
    width: int,
    height: int,
    title: str,
    labels: Mapping[str, str],
    href: Callable[[Mapping[str, Any]], str],
    detail: bool = False,
) -> str:
    """An SVG map of the stations with known coordinates, coloured by zone.

    ``detail`` draws the 3 km circle and the 10 km square around the (estimated) outlet,
    for the close-up view.
    """
    fr = Frame(bbox, width, height)
    out = [
        f'<svg class="map" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
        f'<rect width="{width}" height="{height}" class="sea"/>',
    ]
    rings = coast.coastline(_expand(bbox, 0.5))
    if rings:
        out.append('<path class="land" d="' + "".join(_ring_path(fr, r) for r in rings) + '"/>')
    # graticule
    x0, y0, x1, y1 = bbox
    step = _nice_step(y1 - y0, 5)
    lat = math.ceil(y0 / step) * step
    while lat <= y1:
        _, y = fr.xy(x0, lat)
        out.append(f'<line class="grid" x1="0" x2="{width}" y1="{_f(y)}" y2="{_f(y)}"/>')
        if y > 16:
            out.append(
                f'<text class="gridlabel" x="4" y="{_f(y - 3)}">{lat:.{_dec(step)}f}°N</text>'
            )
        lat += step
    lon = math.ceil(x0 / step) * step
    while lon <= x1:
        x, _ = fr.xy(lon, y0)
        out.append(f'<line class="grid" y1="0" y2="{height}" x1="{_f(x)}" x2="{_f(x)}"/>')
        if x < width - 48:
            out.append(
                f'<text class="gridlabel" x="{_f(x + 3)}" y="{height - 5}">'
                f"{lon:.{_dec(step)}f}°E</text>"
            )
        lon += step
    if detail:
        ox, oy = fr.xy(OUTLET[1], OUTLET[0])
        r3 = fr.km(3.0)
        h5 = fr.km(5.0)
        out.append(
            f'<rect class="zone-square" x="{_f(ox - h5)}" y="{_f(oy - h5)}" '
            f'width="{_f(2 * h5)}" height="{_f(2 * h5)}"/>'
        )
        out.append(f'<circle class="zone-outlet" cx="{_f(ox)}" cy="{_f(oy)}" r="{_f(r3)}"/>')
        out.append(
            f'<text class="zonelabel" x="{_f(ox + h5 - 4)}" y="{_f(oy - h5 + 14)}" '
            f'text-anchor="end">{escape(labels["square"])}</text>'
        )
        out.append(
            f'<text class="zonelabel" x="{_f(ox)}" y="{_f(oy - r3 - 4)}" '
            f'text-anchor="middle">{escape(labels["circle"])}</text>'
        )
        out.append(
            f'<path class="outlet" d="M{_f(ox - 5)},{_f(oy - 5)}L{_f(ox + 5)},{_f(oy + 5)}'
            f'M{_f(ox - 5)},{_f(oy + 5)}L{_f(ox + 5)},{_f(oy - 5)}">'
            f"<title>{escape(labels['outlet'])}</title></path>"
        )
    px, py = fr.xy(PLANT[1], PLANT[0])
    out.append(
        f'<rect class="plant" x="{_f(px - 6)}" y="{_f(py - 6)}" width="12" height="12">'
        f"<title>{escape(labels['plant'])}</title></rect>"
    )
    out.append(
        f'<text class="plantlabel" x="{_f(px - 9)}" y="{_f(py + 4)}" text-anchor="end">'
        f"{escape(labels['plant_short'])}</text>"
    )
    # offshore first, so the zone points near the outlet stay on top
    order = {ZONE_OFFSHORE: 0, ZONE_SQUARE: 1, ZONE_OUTLET: 2}
    radius = 5 if detail else 4
    for st in sorted(stations, key=lambda s: order.get(s["zone"], 0)):
        if not st.get("coords_known"):
            continue
        lon_, lat_ = st["lon"], st["lat"]
        if not (x0 <= lon_ <= x1 and y0 <= lat_ <= y1):
            continue
        x, y = fr.xy(lon_, lat_)
        colour = ZONE_COLOURS.get(st["zone"], "#666")
        tip = f"{st['code']} ({st['org']}) · {labels.get('zone_' + st['zone'], st['zone'])}"
        tip += f" · {st['n_results']} {labels['results']}"
        out.append(
            f'<a href="{escape(href(st))}" class="station" data-code="{escape(st["code"])}" '
            f'data-zone="{escape(st["zone"])}"><circle cx="{_f(x)}" cy="{_f(y)}" r="{radius}" '
            f'fill="{colour}"><title>{escape(tip)}</title></circle></a>'
        )
    out.append("</svg>")
    return "".join(out)


def _dec(step: float) -> int:
    return max(0, -math.floor(math.log10(step) + 1e-9)) if step < 1 else 0


def _expand(b: tuple[float, float, float, float], d: float) -> tuple[float, float, float, float]:
    return (b[0] - d, b[1] - d, b[2] + d, b[3] + d)


# -- charts --------------------------------------------------------------------------------


def _parse(t: str) -> datetime:
    return parse_instant(t)


def _ts(t: datetime) -> float:
    return t.timestamp()


def _fmt_num(v: float) -> str:
    if v == 0:
        return "0"
    if 1000 <= abs(v) < 1e7:
        return f"{v:,.0f}"
    if abs(v) >= 1e7 or abs(v) < 0.001:
        return f"{v:.0e}".replace("e+0", "e").replace("e-0", "e-")
    return f"{v:g}"


def series_chart(
    points: Sequence[Mapping[str, Any]],
    levels: Sequence[Mapping[str, Any]],
    *,
    nuclide: str,
    unit: str,
    labels: Mapping[str, str],
    discharge_start: datetime | None = None,
    width: int = 760,
    height: int = 300,
    band: Mapping[str, Any] | None = None,
    since: datetime | None = None,
) -> str:
    """A time-series chart of one nuclide at one station, with the applicable levels.

    Detected results are filled dots with ±1 standard-uncertainty bars; results below the
    detection limit are open circles at the limit; the levels are horizontal lines, and a
    detected result above the lowest of them is ringed (``data-over``). The y axis is
    logarithmic when the values and levels span more than two decades.

    ``band`` (``low``, ``high``, ``since``, ``until``, ``kind``) shades the pre-discharge
    range across the whole chart, so later results can be read against it; ``since``
    keeps only results from that instant on (the time window).
    """
    if since is not None:
        points = [p for p in points if _parse(p["sampled_at"]) >= since]
    ml, mr, mt, mb = 64, 150, 14, 34
    pw, ph = width - ml - mr, height - mt - mb
    times = [_parse(p["sampled_at"]) for p in points]
    ys: list[float] = []
    for p in points:
        if p["value"] is not None:
            ys.append(p["value"])
            if p.get("uncertainty"):
                ys.append(p["value"] + p["uncertainty"])
        elif p.get("detection_limit") is not None:
            ys.append(p["detection_limit"])
    ys += [lv["limit"] for lv in levels]
    if band and band.get("low") is not None and band.get("high") is not None:
        ys += [band["low"], band["high"]]
    positive = [y for y in ys if y > 0]
    log = bool(positive) and len(positive) == len(ys) and max(positive) / min(positive) > 100
    if log:
        lo = 10 ** math.floor(math.log10(min(positive)))
        hi = 10 ** math.ceil(math.log10(max(positive) * 1.05))
    else:
        lo = min([0.0, *ys]) if ys else 0.0
        hi = max(ys) * 1.1 if ys and max(ys) > 0 else 1.0
        if hi <= lo:
            hi = lo + 1
    t0, t1 = (min(times), max(times)) if times else (datetime.now(UTC), datetime.now(UTC))
    span = max(_ts(t1) - _ts(t0), 86400.0)
    pad = span * 0.02

    def X(t: datetime) -> float:
        return ml + (_ts(t) - _ts(t0) + pad) / (span + 2 * pad) * pw

    def Y(v: float) -> float:
        if log:
            v = max(v, lo)
            return mt + ph - (math.log10(v) - math.log10(lo)) / (math.log10(hi / lo)) * ph
        return mt + ph - (v - lo) / (hi - lo) * ph

    title = f"{nuclide} [{unit}]"
    n_nd_nolimit = sum(1 for p in points if p["value"] is None and p.get("detection_limit") is None)
    out = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg" '
        f'data-nuclide="{escape(nuclide)}">',
        f"<title>{escape(title)}</title>",
        f'<rect class="plot" x="{ml}" y="{mt}" width="{pw}" height="{ph}"/>',
    ]
    # y grid and ticks
    if log:
        e0, e1 = round(math.log10(lo)), round(math.log10(hi))
        ticks = [10.0**e for e in range(e0, e1 + 1)]
    else:
        step = _nice_step(hi - lo, 5)
        ticks = [lo + i * step for i in range(int((hi - lo) / step) + 1)]
    for v in ticks:
        y = Y(v)
        out.append(f'<line class="grid" x1="{ml}" x2="{ml + pw}" y1="{_f(y)}" y2="{_f(y)}"/>')
        out.append(
            f'<text class="tick" x="{ml - 6}" y="{_f(y + 4)}" text-anchor="end">'
            f"{_fmt_num(v)}</text>"
        )
    # x ticks: years, or months for short series
    years = range(t0.year, t1.year + 2)
    xt = [datetime(yr, 1, 1, tzinfo=UTC) for yr in years]
    if len([t for t in xt if t0 <= t <= t1]) < 2:
        xt = [
            datetime(t0.year + (t0.month - 1 + i) // 12, (t0.month - 1 + i) % 12 + 1, 1, tzinfo=UTC)
            for i in range(0, 40)
        ]
        xt = xt[:: max(1, len([t for t in xt if t <= t1]) // 6)]
        fmt = "%Y-%m"
    else:
        every = max(1, len(xt) // 8)
        xt = xt[::every]
        fmt = "%Y"
    for t in xt:
        x = X(t)
        if ml <= x <= ml + pw:
            out.append(f'<line class="grid" y1="{mt}" y2="{mt + ph}" x1="{_f(x)}" x2="{_f(x)}"/>')
            out.append(
                f'<text class="tick" x="{_f(x)}" y="{mt + ph + 16}" text-anchor="middle">'
                f"{t.strftime(fmt)}</text>"
            )
    out.append(
        f'<text class="axislabel" x="14" y="{mt + ph / 2}" text-anchor="middle" '
        f'transform="rotate(-90 14 {mt + ph / 2})">{escape(unit)}'
        f"{' (' + escape(labels['log_scale']) + ')' if log else ''}</text>"
    )
    if discharge_start and t0 <= discharge_start <= t1:
        x = X(discharge_start)
        out.append(
            f'<line class="discharge" x1="{_f(x)}" x2="{_f(x)}" y1="{mt}" y2="{mt + ph}"/>'
            f'<text class="discharge-label" x="{_f(x + 3)}" y="{mt + 11}">'
            f"{escape(labels['discharge_start'])}</text>"
        )
    if band and band.get("low") is not None and band.get("high") is not None:
        yb0, yb1 = Y(band["high"]), Y(band["low"])
        out.append(
            f'<rect class="band" data-low="{band["low"]:g}" data-high="{band["high"]:g}" '
            f'x="{ml}" y="{_f(yb0)}" width="{pw}" height="{_f(max(yb1 - yb0, 1.5))}">'
            f"<title>{escape(labels.get('band', 'before'))}: {band['low']:g}–{band['high']:g} "
            f"{escape(unit)}</title></rect>"
        )
    # levels
    for i, lv in enumerate(levels):
        y = Y(lv["limit"])
        colour = LEVEL_COLOURS.get(lv["level"], "#555")
        dash = ' stroke-dasharray="6 4"' if lv["level"] == "investigation" else ""
        name = labels.get("level_" + lv["level"], lv["level"])
        low = " *" if lv.get("low_confidence") else ""
        out.append(
            f'<line class="limit-line" data-level="{escape(lv["level"])}" '
            f'data-limit="{lv["limit"]:g}" x1="{ml}" x2="{ml + pw}" y1="{_f(y)}" y2="{_f(y)}" '
            f'stroke="{colour}"{dash}><title>{escape(lv["title"])}: {lv["limit"]:g} '
            f"{escape(unit)} ({escape(lv['confidence'])})</title></line>"
        )
        out.append(
            f'<text class="limit-label" x="{ml + pw + 6}" y="{_f(y + 4 + (i % 2) * 0)}" '
            f'fill="{colour}">{escape(name)} {lv["limit"]:g}{low}</text>'
        )
    lowest = min((lv["limit"] for lv in levels), default=None)
    # points: detected on top of non-detects
    for p, t in zip(points, times, strict=True):
        if p["value"] is None and p.get("detection_limit") is not None:
            x, y = X(t), Y(p["detection_limit"])
            out.append(
                f'<circle class="pt nd" data-role="nondetect" cx="{_f(x)}" cy="{_f(y)}" r="3">'
                f"<title>{p['sampled_at'][:10]} &lt; {p['detection_limit']:g} "
                f"({escape(labels['nondetect'])})</title></circle>"
            )
    for p, t in zip(points, times, strict=True):
        if p["value"] is None:
            continue
        x, y = X(t), Y(p["value"])
        u = p.get("uncertainty")
        if u:
            y_lo, y_hi = Y(max(p["value"] - u, lo if log else p["value"] - u)), Y(p["value"] + u)
            out.append(
                f'<line class="err" x1="{_f(x)}" x2="{_f(x)}" y1="{_f(y_lo)}" y2="{_f(y_hi)}"/>'
            )
        tip = f"{p['sampled_at'][:10]} {p['value']:g}" + (f" ± {u:g}" if u else "")
        if lowest is not None and p["value"] > lowest:
            out.append(
                f'<circle class="over" data-over="1" cx="{_f(x)}" cy="{_f(y)}" r="6">'
                f"<title>{tip} &gt; {lowest:g}</title></circle>"
            )
        out.append(
            f'<circle class="pt det" data-role="detected" cx="{_f(x)}" cy="{_f(y)}" r="2.6">'
            f"<title>{tip}</title></circle>"
        )
    out.append("</svg>")
    if n_nd_nolimit:
        out.append(f'<p class="note">{escape(labels["nd_nolimit"].format(n=n_nd_nolimit))}</p>')
    return "".join(out)
