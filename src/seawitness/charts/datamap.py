"""The data map: places coloured by the status of their latest results against a rule set.

Same projection and coastline as :func:`seawitness.charts.svg.station_map` (which draws
the zones); here a marker is a *place* (stations of several organisations at one
position are one marker with a double ring), its colour the worst class of its latest
results (see :func:`seawitness.service.views.station_status`), with station labels on the
close-up, a scale bar, and the outlet drawn last so no marker hides it. Every marker is a
link to its first station's page, so the map works without JavaScript; the dashboard's
script adds a popup with each organisation's latest results.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from html import escape
from typing import Any

from seawitness.charts import coast
from seawitness.charts.svg import PLANT, Frame, _dec, _expand, _f, _nice_step, _ring_path
from seawitness.model.zones import OUTLET

__all__ = ["STATUS_COLOURS", "status_map"]

#: Fill colour per class; ``none`` = no rule of the set applies to the latest results.
STATUS_COLOURS: dict[str, str] = {
    "exceeds": "#b71c1c",
    "may_exceed": "#e65100",
    "inconclusive": "#f9a825",
    "below": "#2e7d32",
    "not_applicable": "#9e9e9e",
    "none": "#cfd6dd",
}


def _scale_bar(fr: Frame, width: int, height: int, label: str) -> str:
    """A bar of a round number of km, about a fifth of the map's width."""
    km_per_px = 1 / fr.km(1.0)
    target = width / 5 * km_per_px
    mag = 10 ** math.floor(math.log10(target))
    km = max(m * mag for m in (1, 2, 5) if m * mag <= target)
    px = fr.km(km)
    x0, y0 = 12, height - 26
    txt = f"{km:g} km"
    return (
        f'<g class="scalebar" data-km="{km:g}" aria-label="{escape(label)} {txt}">'
        f'<rect x="{x0 - 4}" y="{y0 - 14}" width="{_f(px + 8)}" height="22" class="scalebg"/>'
        f'<path d="M{x0},{y0 - 4}V{y0 + 2}H{_f(x0 + px)}V{y0 - 4}" class="scaleline"/>'
        f'<text x="{_f(x0 + px / 2)}" y="{y0 - 4}" text-anchor="middle" class="scaletext">'
        f"{txt}</text></g>"
    )


def status_map(
    places: Sequence[Mapping[str, Any]],
    *,
    bbox: tuple[float, float, float, float],
    width: int,
    height: int,
    title: str,
    labels: Mapping[str, str],
    href: Callable[[Mapping[str, Any]], str],
    detail: bool = False,
    map_id: str = "map",
) -> str:
    """An SVG map of ``places`` (from ``station_status``) coloured by status.

    ``labels`` needs ``outlet``, ``plant``, ``plant_short``, ``scale``, ``status_<class>``
    for each class of :data:`STATUS_COLOURS`, ``approximate`` and ``orgs``. ``detail``
    labels every place with its station codes and draws the 3 km circle and 10 km square.
    """
    fr = Frame(bbox, width, height)
    out = [
        f'<svg class="map datamap" id="{escape(map_id)}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
        f'<rect width="{width}" height="{height}" class="sea"/>',
    ]
    rings = coast.coastline(_expand(bbox, 0.5))
    if rings:
        out.append('<path class="land" d="' + "".join(_ring_path(fr, r) for r in rings) + '"/>')
    x0, y0, x1, y1 = bbox
    step = _nice_step(y1 - y0, 5)
    lat = math.ceil(y0 / step) * step
    while lat <= y1:
        _, y = fr.xy(x0, lat)
        out.append(f'<line class="grid" x1="0" x2="{width}" y1="{_f(y)}" y2="{_f(y)}"/>')
        if 16 < y < height - 40:
            out.append(
                f'<text class="gridlabel" x="4" y="{_f(y - 3)}">{lat:.{_dec(step)}f}°N</text>'
            )
        lat += step
    ox, oy = fr.xy(OUTLET[1], OUTLET[0])
    if detail:
        r3, h5 = fr.km(3.0), fr.km(5.0)
        out.append(
            f'<rect class="zone-square" x="{_f(ox - h5)}" y="{_f(oy - h5)}" '
            f'width="{_f(2 * h5)}" height="{_f(2 * h5)}"/>'
            f'<circle class="zone-outlet" cx="{_f(ox)}" cy="{_f(oy)}" r="{_f(r3)}"/>'
        )
    px, py = fr.xy(PLANT[1], PLANT[0])
    out.append(
        f'<rect class="plant" x="{_f(px - 6)}" y="{_f(py - 6)}" width="12" height="12">'
        f"<title>{escape(labels['plant'])}</title></rect>"
        f'<text class="plantlabel" x="{_f(px - 9)}" y="{_f(py + 4)}" text-anchor="end">'
        f"{escape(labels['plant_short'])}</text>"
    )
    radius = 6 if detail else 4.5
    order = {c: i for i, c in enumerate(reversed(list(STATUS_COLOURS)))}
    drawn = sorted(
        enumerate(places), key=lambda ip: order.get(ip[1]["status"] or "none", 0)
    )  # the worst on top
    taken: list[tuple[float, float]] = []
    for i, pl in drawn:
        lon_, lat_ = pl["lon"], pl["lat"]
        if not (x0 <= lon_ <= x1 and y0 <= lat_ <= y1):
            continue
        x, y = fr.xy(lon_, lat_)
        status = pl["status"] or "none"
        sts = pl["stations"]
        codes = " / ".join(dict.fromkeys(st["code"] for st in sts))
        tip = f"{codes} ({', '.join(pl['orgs'])}) · {labels['status_' + status]}"
        if pl.get("approximate"):
            tip += f" · {labels['approximate']}"
        multi = len(pl["orgs"]) > 1
        ring = (
            f'<circle cx="{_f(x)}" cy="{_f(y)}" r="{radius + 3}" class="colocated"/>'
            if multi
            else ""
        )
        out.append(
            f'<a href="{escape(href(sts[0]))}" class="station place" data-place="{i}" '
            f'data-status="{status}" data-code="{escape(sts[0]["code"])}" '
            f'data-codes="{escape(codes)}" data-orgs="{escape(",".join(pl["orgs"]))}" '
            f'data-zone="{escape(pl["zone"])}">{ring}<circle cx="{_f(x)}" cy="{_f(y)}" '
            f'r="{radius}" fill="{STATUS_COLOURS[status]}" class="mk mk-{status}'
            f'{" approx" if pl.get("approximate") else ""}"><title>{escape(tip)}</title>'
            f"</circle></a>"
        )
        if detail and all(abs(x - tx) + abs(y - ty) > 14 for tx, ty in taken):
            taken.append((x, y))
            out.append(
                f'<text class="stlabel" x="{_f(x + radius + 3)}" y="{_f(y + 4)}">'
                f"{escape(codes)}</text>"
            )
    # the outlet last: never under a marker
    out.append(
        f'<g class="outlet-mark"><circle cx="{_f(ox)}" cy="{_f(oy)}" r="7" class="outlet-bg"/>'
        f'<path class="outlet" d="M{_f(ox - 5)},{_f(oy - 5)}L{_f(ox + 5)},{_f(oy + 5)}'
        f'M{_f(ox - 5)},{_f(oy + 5)}L{_f(ox + 5)},{_f(oy - 5)}">'
        f"<title>{escape(labels['outlet'])}</title></path></g>"
    )
    out.append(_scale_bar(fr, width, height, labels["scale"]))
    out.append("</svg>")
    return "".join(out)
