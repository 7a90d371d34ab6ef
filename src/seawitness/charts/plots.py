"""Two small SVG plots: one organisation's results against another's, and the log's growth.

Drawn on the server like the rest of :mod:`seawitness.charts`: plain SVG a test can read,
no script needed. The pair plot uses log–log axes (seawater caesium spans 0.001–1 Bq/L)
with the 1:1 line, on which two organisations that agree would fall.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from seawitness.charts.svg import _f, _fmt_num, _nice_step, _parse

__all__ = ["GROUP_COLOURS", "growth_chart", "pair_scatter"]

GROUP_COLOURS = ("#1f6fb2", "#c0392b", "#2e7d32", "#6a1b9a", "#e65100")


def pair_scatter(
    points: Sequence[Mapping[str, Any]],
    *,
    x_label: str,
    y_label: str,
    title: str,
    size: int = 420,
) -> str:
    """``points`` with positive ``x``, ``y``, a ``group`` (colour) and a ``title``."""
    pts = [p for p in points if p["x"] > 0 and p["y"] > 0]
    m = 56
    pw = size - m - 16
    out = [
        f'<svg class="chart scatter" viewBox="0 0 {size} {size}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
        f'<rect class="plot" x="{m}" y="16" width="{pw}" height="{pw}"/>',
    ]
    if not pts:
        out.append("</svg>")
        return "".join(out)
    vals = [p["x"] for p in pts] + [p["y"] for p in pts]
    lo = 10 ** math.floor(math.log10(min(vals)))
    hi = 10 ** math.ceil(math.log10(max(vals) * 1.01))
    if hi <= lo:
        hi = lo * 10
    span = math.log10(hi / lo)

    def X(v: float) -> float:
        return m + (math.log10(v / lo)) / span * pw

    def Y(v: float) -> float:
        return 16 + pw - (math.log10(v / lo)) / span * pw

    e = lo
    while e <= hi * 1.0001:
        out.append(
            f'<line class="grid" x1="{_f(X(e))}" x2="{_f(X(e))}" y1="16" y2="{16 + pw}"/>'
            f'<line class="grid" x1="{m}" x2="{m + pw}" y1="{_f(Y(e))}" y2="{_f(Y(e))}"/>'
            f'<text class="tick" x="{_f(X(e))}" y="{16 + pw + 14}" text-anchor="middle">'
            f"{_fmt_num(e)}</text>"
            f'<text class="tick" x="{m - 4}" y="{_f(Y(e) + 4)}" text-anchor="end">'
            f"{_fmt_num(e)}</text>"
        )
        e *= 10
    out.append(
        f'<line class="identity" x1="{_f(X(lo))}" y1="{_f(Y(lo))}" x2="{_f(X(hi))}" '
        f'y2="{_f(Y(hi))}"/>'
        f'<text class="axislabel" x="{m + pw / 2}" y="{size - 4}" text-anchor="middle">'
        f"{escape(x_label)}</text>"
        f'<text class="axislabel" x="12" y="{16 + pw / 2}" text-anchor="middle" '
        f'transform="rotate(-90 12 {16 + pw / 2})">{escape(y_label)}</text>'
    )
    groups = sorted({str(p["group"]) for p in pts})
    for p in pts:
        c = GROUP_COLOURS[groups.index(str(p["group"])) % len(GROUP_COLOURS)]
        out.append(
            f'<circle class="pair" data-group="{escape(str(p["group"]))}" cx="{_f(X(p["x"]))}" '
            f'cy="{_f(Y(p["y"]))}" r="3.5" fill="{c}"><title>{escape(p["title"])}</title></circle>'
        )
    for i, g in enumerate(groups):
        c = GROUP_COLOURS[i % len(GROUP_COLOURS)]
        out.append(
            f'<circle cx="{m + 12}" cy="{28 + 16 * i}" r="4" fill="{c}"/>'
            f'<text class="tick" x="{m + 20}" y="{32 + 16 * i}">{escape(g)}</text>'
        )
    out.append("</svg>")
    return "".join(out)


def growth_chart(
    growth: Sequence[Mapping[str, Any]], *, title: str, y_label: str, width: int = 760
) -> str:
    """The log's size at each stored checkpoint (``size``, ``at``), as a step line."""
    height, ml, mr, mt, mb = 240, 72, 16, 14, 30
    pw, ph = width - ml - mr, height - mt - mb
    out = [
        f'<svg class="chart growth" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
        f'<rect class="plot" x="{ml}" y="{mt}" width="{pw}" height="{ph}"/>',
    ]
    pts = [(_parse(g["at"]).timestamp(), float(g["size"])) for g in growth if g["at"]]
    if not pts:
        out.append("</svg>")
        return "".join(out)
    if pts[-1][0] - pts[0][0] < 60 * len(pts):
        # checkpoints signed within moments (a bulk import): spread them evenly
        pts = [(float(i), z) for i, (_, z) in enumerate(pts)]
    t0, t1 = pts[0][0], max(pts[-1][0], pts[0][0] + 1)
    step = _nice_step(max(z for _, z in pts), 4)
    top = step * math.ceil(max(z for _, z in pts) / step) or 1.0

    def X(t: float) -> float:
        return ml + (t - t0) / (t1 - t0) * pw

    def Y(z: float) -> float:
        return mt + ph - z / top * ph

    for i in range(int(round(top / step)) + 1):
        z = i * step
        out.append(
            f'<line class="grid" x1="{ml}" x2="{ml + pw}" y1="{_f(Y(z))}" y2="{_f(Y(z))}"/>'
            f'<text class="tick" x="{ml - 6}" y="{_f(Y(z) + 4)}" text-anchor="end">'
            f"{_fmt_num(round(z))}</text>"
        )
    d = f"M{_f(X(pts[0][0]))},{_f(Y(0))}"
    for t, z in pts:
        d += f"H{_f(X(t))}V{_f(Y(z))}"
    out.append(f'<path class="growth-line" d="{d}H{ml + pw}"/>')
    for (t, z), g in zip(pts, growth, strict=False):
        out.append(
            f'<circle class="cp" cx="{_f(X(t))}" cy="{_f(Y(z))}" r="3">'
            f"<title>{escape(str(g['at']))}: {int(z):,}</title></circle>"
        )
    out.append(
        f'<text class="tick" x="{ml}" y="{height - 8}">{escape(growth[0]["at"][:16])}</text>'
        f'<text class="tick" x="{ml + pw}" y="{height - 8}" text-anchor="end">'
        f"{escape(growth[-1]['at'][:16])}</text>"
        f'<text class="axislabel" x="12" y="{mt + ph / 2}" text-anchor="middle" '
        f'transform="rotate(-90 12 {mt + ph / 2})">{escape(y_label)}</text>'
    )
    out.append("</svg>")
    return "".join(out)
