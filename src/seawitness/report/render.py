"""The report as HTML: one self-contained file (styles and SVG figures inline).

The document is cut into named sections (``<!--section:NAME-->`` ... ``<!--/section:NAME-->``)
so that :mod:`seawitness.report.verify` can say which part of an edited report no longer
matches the log. The request it was made from travels in the file as JSON
(``<script id="seawitness-report-inputs">``), so the report carries what is needed to
recompute it. Numbers are formatted by the filters below and nowhere else: three
significant digits, thousands separators from 1,000, scientific notation below 0.001,
so the same value always prints the same way.
"""

from __future__ import annotations

import json
import math
import re
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from seawitness.charts import coast
from seawitness.model.times import format_date
from seawitness.report.compliance import CLASS_ORDER
from seawitness.report.i18n import Catalogue

__all__ = ["ENV", "MARK", "SECTION", "fmt_num", "render_html", "sections"]

HERE = Path(__file__).parent
#: The marker of a number graded LOW or taken from memory.
MARK = "†"
#: Rows of the appendix listed in full (every count also has its leaf ranges).
APPENDIX_ROWS = 1500
SECTION = re.compile(r"<!--section:([a-z]+)-->(.*?)<!--/section:\1-->", re.S)
FONTS = {"en": "JP", "ja": "JP", "zh": "SC", "ko": "KR"}

ENV = Environment(
    loader=FileSystemLoader(str(HERE / "templates")),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    keep_trailing_newline=True,
)


def fmt_num(x: float | None) -> str:
    """A number as every report prints it.

    >>> [fmt_num(v) for v in (650000.0, 270.0, 0.01234, 0.00012, None)]
    ['650,000', '270', '0.0123', '1.2e-04', '-']
    """
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "-"
    if x == 0:
        return "0"
    a = abs(x)
    if a >= 1000:
        return f"{x:,.0f}"
    if a < 0.001:
        return f"{x:.1e}"
    return f"{x:.3g}"


def _int(x: int | None) -> str:
    return "-" if x is None else f"{int(x):,}"


def _sci(x: float | None) -> str:
    return "-" if x is None else f"{x:.2g}"


def _pval(p: float | None) -> str:
    if p is None or not math.isfinite(p):
        return "-"
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def _date(t: datetime | str | None) -> str:
    if isinstance(t, str):
        return t[:10]
    return format_date(t)


ENV.filters.update(num=fmt_num, int_=_int, sci=_sci, pval=_pval, date=_date)


def _css(lang: str) -> str:
    font = FONTS.get(lang, "JP")
    css = (HERE / "templates" / "report.css").read_text(encoding="utf-8")
    return css.replace("@FONT@", font)


def _summary(d: dict[str, Any], t: Catalogue, region_title: str, period: str) -> list[str]:
    """The plain-language first page: scope, verdict, worst result, independence, dose."""
    me, co = d["measured"], d["compliance"]
    rs = d["provenance"]["rule_set"]
    if not me["n_results"]:
        return [t("summary_none", region=region_title, period=period)]
    c = {k: _int(v) for k, v in co["counts"].items()}
    out = [
        t(
            "summary_scope",
            n=_int(me["n_results"]),
            samples=_int(me["n_samples"]),
            region=region_title,
            first=d["period"]["first"],
            last=d["period"]["last"],
            rules=rs["title"],
            evaluations=_int(co["evaluations"]),
        ),
        t(
            "summary_counts",
            exceeds=c["exceeds"],
            may_exceed=c["may_exceed"],
            below=c["below"],
            inconclusive=c["inconclusive"],
            not_applicable=c["not_applicable"],
        ),
    ]
    if not co["evaluations"]:
        out.append(t("summary_no_evaluations"))
    if co["worst"]:
        w = co["worst"][0]
        unc = (
            ""
            if w["uncertainty"] is None or w["u_assumed_zero"]
            else f" ± {fmt_num(w['uncertainty'])}"
        )
        out.append(
            t(
                "summary_worst",
                nuclide="+".join(w["nuclides"]),
                value=fmt_num(w["value"]) + unc,
                unit=w["unit"],
                station=w["station"],
                org=w["org"],
                date=_date(w["sampled_at"]),
                pct=fmt_num(100 * w["ratio"]),
                limit=fmt_num(w["limit"]),
                cls=t("class_" + w["class"]),
                leaves=", ".join(str(x) for x in w["leaves"]),
            )
        )
    out.append(
        t(
            "summary_independent",
            independent=_int(me["independent"]),
            n=_int(me["n_results"]),
            operators=", ".join(me["operators"]) or "-",
        )
    )
    ds = d["dose"]
    if not ds.get("refusal"):
        out.append(
            t(
                "summary_dose",
                diet=ds["diet_title"] + (MARK if ds["diet_low_confidence"] else ""),
                dose=fmt_num(ds["total_sv_per_year"] * 1e6),
                pct=fmt_num(100 * ds["fraction_of_public_limit"]),
            )
        )
    low = len(rs["low_confidence_numbers"])
    if low:
        out.append(t("summary_low", n=low, mark=MARK))
    return out


def _appendix(co: dict[str, Any]) -> tuple[list[dict[str, Any]], int]:
    """The worst results, then every evaluation that is not ``below``, capped; each leaf
    carries its anchor once (the first row it appears in)."""
    rows: list[dict[str, Any]] = []
    seen_rows: set[tuple[str, tuple[int, ...]]] = set()
    for r in co["worst"] + co["flagged"]:
        key = (r["rule_id"], tuple(r["leaves"]))
        if key not in seen_rows:
            seen_rows.add(key)
            rows.append(r)
    more = max(0, len(rows) - APPENDIX_ROWS)
    rows = rows[:APPENDIX_ROWS]
    seen: set[int] = set()
    out = []
    for r in rows:
        anchors = []
        for leaf in r["leaves"]:
            anchors.append((leaf, leaf not in seen))
            seen.add(leaf)
        out.append({**r, "anchors": anchors})
    return out, more


def render_html(d: dict[str, Any]) -> str:
    """The report's HTML document (UTF-8 text), the same for the same data."""
    req = d["request"]
    t = Catalogue(req["lang"])
    prov = d["provenance"]
    region = prov["region"]
    per = d["period"]
    if per["since"] or per["until"]:
        until = per["until"] or (per["last"] if per["last"] != "-" else "…")
        period = t("period_between", since=per["since"] or per["first"], until=until)
    else:
        period = t("period_all")
    rows, more = _appendix(d["compliance"])
    cosigs = prov["checkpoint"]["cosignatures"]
    inputs = json.dumps(req, sort_keys=True, ensure_ascii=True).replace("</", "<\\/")
    html = ENV.get_template("report.html").render(
        d=d,
        t=t,
        lang=t.lang,
        title=t("title", rules=prov["rule_set"]["id"], region=region["title"]),
        rs=prov["rule_set"],
        rsi=prov["rule_set"],
        region=region,
        cp=prov["checkpoint"],
        witnesses=", ".join(c["witness"] for c in cosigs),
        classes=CLASS_ORDER,
        summary=_summary(d, t, region["title"], period),
        period_text=period,
        mark=MARK,
        appendix_rows=rows,
        appendix_more=more,
        inputs_json=inputs,
        css=_css(t.lang),
        map_coast=coast.SOURCE if coast.available() else "",
    )
    return html


def sections(html: str) -> dict[str, str]:
    """A report's named sections, and everything outside them as ``"document"``."""
    out = {m.group(1): m.group(2) for m in SECTION.finditer(html)}
    out["document"] = SECTION.sub("", html)
    return out
