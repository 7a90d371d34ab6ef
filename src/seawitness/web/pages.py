"""The dashboard: server-rendered pages over the same service as the JSON API.

Every page is complete HTML with its map or charts drawn as inline SVG, so it works with
no network and no JavaScript; the small script we ship only adds conveniences. Pages
read aggregates and cached answers from :class:`seawitness.service.Service`, never
the whole table, so they stay fast on the full data set.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates

from seawitness.analysis.limits import list_rule_sets
from seawitness.charts import coast, datamap, svg
from seawitness.model.columns import MEASUREMENT_FIELDS
from seawitness.model.harmonized import DEPTH_CLASSES
from seawitness.model.times import now_utc
from seawitness.model.zones import OUTLET
from seawitness.service import (
    DISCHARGE_START,
    SEA_RULES,
    BadParameter,
    NotFound,
    Service,
    iso,
    make_query,
    views,
)
from seawitness.service.logview import record_summary
from seawitness.service.readmodel import form_of
from seawitness.store.store import Query
from seawitness.web import station_names
from seawitness.web.i18n import LANGS, Translator, negotiate

HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"
templates = Jinja2Templates(directory=str(HERE / "templates"))
router = APIRouter(include_in_schema=False)

#: Close-up view around the (estimated) outlet: about ±8 km.
NEAR_BBOX = (OUTLET[1] - 0.10, OUTLET[0] - 0.075, OUTLET[1] + 0.10, OUTLET[0] + 0.075)
MAX_CHARTS = 16
TABLE_ROWS = 100
#: While the start-up warm-up runs, how long the home page waits for aggregates that are
#: not computed yet before it says "being computed" instead (see ``Service.soon``).
WARM_WAIT_S = 0.3


def station_href(st: Mapping[str, Any]) -> str:
    return f"/stations/{quote(st['org'], safe='')}/{quote(st['code'], safe='')}"


def _service(request: Request) -> Service:
    svc: Service = request.app.state.service
    return svc


def _lang(request: Request) -> str:
    return negotiate(
        request.query_params.get("lang"),
        request.cookies.get("lang"),
        request.headers.get("accept-language"),
    )


def render(request: Request, name: str, status: int = 200, **ctx: Any) -> HTMLResponse:
    """Render a page in the visitor's language; remember a language chosen by link."""
    lang = _lang(request)
    t = Translator(lang)
    switch = []
    for code, label in LANGS.items():
        params = dict(request.query_params)
        params["lang"] = code
        switch.append({"code": code, "label": label, "href": f"?{urlencode(params)}"})
    ctx.update(
        request=request,
        t=t,
        lang=lang,
        langs=switch,
        path=request.url.path,
        station_href=station_href,
        org_name=lambda org: t.data("org", org),
        ja_name=station_names.japanese_name,
        rule_title=lambda rule_id, title: t.data("rule", rule_id, title),
        nav=NAV,
    )
    resp = templates.TemplateResponse(request, name, ctx, status_code=status)
    chosen = request.query_params.get("lang")
    if chosen in LANGS:
        resp.set_cookie("lang", chosen, max_age=365 * 86400, samesite="lax")
    return resp


#: The pages of the main navigation: (path, message key).
NAV = (
    ("/", "nav_overview"),
    ("/food", "nav_food"),
    ("/labs", "nav_labs"),
    ("/log", "nav_log"),
    ("/data", "nav_data"),
    ("/about", "nav_about"),
)
#: Rule set the map colours by unless the visitor picks another.
MAP_RULES = "jp-tepco-sea"
#: Food rule set drawn on biota charts unless the visitor picks another.
FOOD_RULES = "jp-mhlw"
FOOD_RULE_SETS = ("jp-mhlw", "cn-gb14882", "kr-mfds", "codex", "eu-2016-52")


def choice(request: Request, name: str, allowed: tuple[str, ...] | list[str], default: str) -> str:
    """A query parameter that must be one of ``allowed``; absent or empty: ``default``."""
    v = request.query_params.get(name, "").strip() or default
    if v not in allowed:
        raise BadParameter(name, f"{v!r} is not one of {', '.join(allowed)}")
    return v


def map_labels(t: Translator) -> dict[str, str]:
    out = _map_labels(t)
    out.update(scale=t("map_scale"), approximate=t("approximate"), orgs=t("col_org"))
    for c in datamap.STATUS_COLOURS:
        out["status_" + c] = t("status_" + c)
    return out


def error_page(request: Request, status: int, detail: str) -> Response:
    return render(request, "error.html", status=status, status_code=status, detail=detail)


def _map_labels(t: Translator) -> dict[str, str]:
    return {
        "square": t("map_square"),
        "circle": t("map_circle"),
        "outlet": t("map_outlet"),
        "plant": t("map_plant"),
        "plant_short": t("map_plant_short"),
        "results": t("results_lc"),
        "zone_outlet-3km": t("zone_outlet-3km"),
        "zone_square-10km": t("zone_square-10km"),
        "zone_offshore": t("zone_offshore"),
    }


def _chart_labels(t: Translator) -> dict[str, str]:
    return {
        "log_scale": t("log_scale"),
        "discharge_start": t("discharge_start"),
        "level_investigation": t("level_investigation"),
        "level_suspension": t("level_suspension"),
        "nondetect": t("nondetect"),
        "nd_nolimit": t("nd_nolimit"),
    }


def _region_bbox(stations: list[dict[str, Any]]) -> tuple[float, float, float, float]:
    known = [s for s in stations if s["coords_known"]]
    lons = [s["lon"] for s in known] + [OUTLET[1]]
    lats = [s["lat"] for s in known] + [OUTLET[0]]
    return (min(lons) - 0.15, min(lats) - 0.12, max(lons) + 0.15, max(lats) + 0.12)


def _soon(svc: Service, wants: dict[str, Callable[[], Any]]) -> dict[str, Any]:
    """Each value, or None for one still being computed by the start-up warm-up after
    :data:`WARM_WAIT_S` (all are started first, then waited for together)."""
    for name, get in wants.items():
        svc.soon(name, get, 0)
    deadline = time.monotonic() + WARM_WAIT_S
    return {name: svc.soon(name, get, deadline - time.monotonic()) for name, get in wants.items()}


@router.get("/", response_class=HTMLResponse)
def overview(request: Request) -> Response:
    svc = _service(request)
    t = Translator(_lang(request))
    rules = choice(request, "rules", list_rule_sets(), MAP_RULES)
    got = _soon(
        svc,
        {
            "stations": svc.stations,
            "summary": svc.summary,
            f"station_status {rules}": lambda: views.station_status(svc, rules),
            "latest_near_outlet": svc.latest_near_outlet,
        },
    )
    stations, status = got["stations"], got[f"station_status {rules}"]
    region = near = ""
    if stations is not None and status is not None:
        labels = map_labels(t)
        region = datamap.status_map(
            status["places"],
            bbox=_region_bbox(stations),
            width=640,
            height=520,
            title=t("map_region_title"),
            labels=labels,
            href=station_href,
            map_id="map-region",
        )
        near = datamap.status_map(
            status["places"],
            bbox=NEAR_BBOX,
            width=640,
            height=520,
            title=t("map_near_title"),
            labels=labels,
            href=station_href,
            detail=True,
            map_id="map-near",
        )
    else:
        status = None
    unknown = [s for s in stations or [] if not s["coords_known"]]
    return render(
        request,
        "overview.html",
        summary=got["summary"],
        log=svc.log_info(),
        region_map=region,
        near_map=near,
        coastline=coast.available(),
        coast_source=coast.SOURCE,
        unknown=unknown,
        map_status=status,
        map_low=svc.rule_set(rules).low_confidence_numbers(),
        rules=rules,
        rule_sets=list_rule_sets(),
        status_colours=datamap.STATUS_COLOURS,
        latest=got["latest_near_outlet"],
        limits=svc.limits_if_ready(SEA_RULES),
        outlet=OUTLET,
    )


@router.get("/stations/{org}/{code}", response_class=HTMLResponse)
def station_page(request: Request, org: str, code: str) -> Response:
    svc = _service(request)
    t = Translator(_lang(request))
    st = svc.station(org, code)
    window = choice(request, "window", views.WINDOWS, "all")
    depth = choice(request, "depth", ("", *DEPTH_CLASSES), "") or None
    food = choice(request, "food", FOOD_RULE_SETS, FOOD_RULES)
    rows = svc.station_results(org, code)
    since = views.window_start(window, now_utc())
    groups: dict[tuple[str, str], int] = {}
    for r in rows:
        if depth and r.get("depth_class") != depth:
            continue
        key = (form_of(r), r["medium"])
        groups[key] = groups.get(key, 0) + 1
    ordered = sorted(groups.items(), key=lambda kv: (kv[0][0] != "H-3", -kv[1]))
    labels = {**_chart_labels(t), "band": t("band_label"), "level_limit": t("level_limit")}
    charts = []
    for (nuclide, medium), n in ordered[:MAX_CHARTS]:
        s = svc.series(org, code, nuclide, medium, depth=depth)
        biota = medium in views.BIOTA
        levels = (
            views.food_levels(svc, food, nuclide, medium, s["unit"], s["basis"])
            if biota
            else s["levels"]
        )
        ba = views.before_after(svc, org, code, nuclide, s["medium"], s["unit"])
        shown = [p for p in s["points"] if since is None or p["sampled_at"] >= iso(since)]
        charts.append(
            {
                "nuclide": nuclide,
                "medium": medium,
                "n": n,
                "n_shown": len(shown),
                "unit": s["unit"],
                "units_as_written": s["units_as_written"],
                "levels": levels,
                "biota": biota,
                "before_after": ba,
                "n_detected": sum(1 for p in shown if p["value"] is not None),
                "n_over": sum(
                    1
                    for p in shown
                    if levels and p["value"] is not None and p["value"] > levels[0]["limit"]
                ),
                "svg": svg.series_chart(
                    s["points"],
                    levels,
                    nuclide=nuclide,
                    unit=s["unit"],
                    labels=labels,
                    discharge_start=DISCHARGE_START,
                    band=ba["band"] if ba else None,
                    since=since,
                ),
                "other_units": s["other_units"],
                "api": f"/api/v1/stations/{quote(org, safe='')}/{quote(code, safe='')}/series?"
                + urlencode({"nuclide": nuclide, "medium": medium}),
            }
        )
    latest = list(reversed(rows[-TABLE_ROWS:]))  # cached dicts: copied below, not changed
    here = {"window": window, "depth": depth or "", "food": food}
    return render(
        request,
        "station.html",
        st=st,
        charts=charts,
        more_charts=max(0, len(ordered) - MAX_CHARTS),
        latest=[{**r, "sampled_at": iso(r["sampled_at"])} for r in latest],
        n_rows=len(rows),
        window=window,
        windows=views.WINDOWS,
        depth=depth or "",
        depths=DEPTH_CLASSES,
        food=food,
        food_rule_sets=FOOD_RULE_SETS,
        here=here,
        has_biota=any(m in views.BIOTA for _, m in groups),
        has_sea=any(m not in views.BIOTA for _, m in groups),
        colocated=[
            x
            for pl in views.places(svc.stations())
            if any((y["org"], y["code"]) == (org, code) for y in pl)
            for x in pl
            if (x["org"], x["code"]) != (org, code)
        ],
        csv_url="/api/v1/measurements?" + urlencode({"org": org, "station": code, "format": "csv"}),
    )


def newest_results(svc: Service, q: Query) -> tuple[int, list[dict[str, Any]]]:
    """The number of matches and the newest ``q.limit`` of them, newest first."""
    total = svc.store.count(replace(q, limit=None))
    newest = svc.store.measurements(replace(q, offset=max(0, total - (q.limit or 50))))
    return total, [{**r, "sampled_at": iso(r["sampled_at"])} for r in reversed(newest)]


def _filters(request: Request) -> dict[str, str]:
    keys = ("station", "org", "nuclide", "medium", "since", "until", "bbox", "depth")
    return {k: v for k in keys if (v := request.query_params.get(k, "").strip())}


@router.get("/data", response_class=HTMLResponse)
def data_page(request: Request) -> Response:
    svc = _service(request)
    f = _filters(request)
    q = make_query(**f, limit=50)  # type: ignore[arg-type]
    total, preview = svc.cached(("data_preview", q), lambda: newest_results(svc, q))
    qs = urlencode(f)
    sep = "&" if qs else ""
    rule_set = request.query_params.get("rule_set", "")
    limits = None
    if rule_set:
        if rule_set not in list_rule_sets():
            raise BadParameter("rule_set", f"unknown rule set {rule_set!r}")
        limits = svc.limits_if_ready(rule_set)
    return render(
        request,
        "data.html",
        filters=f,
        total=total,
        preview=preview,
        summary=svc.summary(),
        downloads={
            "csv": f"/api/v1/measurements?{qs}{sep}format=csv",
            "parquet": f"/api/v1/measurements?{qs}{sep}format=parquet",
            "ndjson": f"/api/v1/measurements?{qs}{sep}format=ndjson",
            "json": f"/api/v1/measurements?{qs}",
            "geojson": "/api/v1/stations?format=geojson",
            "datapackage": "/api/v1/datapackage.json",
        },
        bulk_files=svc.bulk_files()[:2],  # the newest checkpoint's CSV and Parquet
        fields=MEASUREMENT_FIELDS,
        depths=DEPTH_CLASSES,
        rule_sets=list_rule_sets(),
        rule_set=rule_set,
        limits=limits,
    )


@router.get("/records/{leaf_index}", response_class=HTMLResponse)
def record_page(request: Request, leaf_index: int) -> Response:
    svc = _service(request)
    entry = svc.entry(leaf_index)
    try:
        versions = [{**v, "sampled_at": iso(v["sampled_at"])} for v in svc.history(leaf_index)]
    except NotFound:
        versions = []
    try:
        proof: dict[str, Any] | None = svc.proof(leaf_index)
    except NotFound:
        proof = None
    t = Translator(_lang(request))
    data = svc.store.entry(leaf_index)
    return render(
        request,
        "record.html",
        leaf_index=leaf_index,
        entry=entry,
        summary=record_summary(svc, leaf_index),
        leaf_b64=base64.b64encode(bytes(data["data"])).decode() if data else "",
        check_labels={
            k: t("check_" + k)
            for k in (
                "leaf_hash",
                "root_ok",
                "root_bad",
                "pass",
                "pass_unsigned",
                "fail",
                "sig_ok",
                "sig_bad",
                "sig_missing",
                "sig_nokey",
                "sig_unsupported",
            )
        },  # fmt: skip
        versions=versions,
        proof=proof,
        log=svc.log_info(),
    )


def _attribution() -> str:
    """The bundled data's attribution, as plain text (Markdown emphasis and code marks
    dropped: the page shows it preformatted)."""
    try:
        text = (resources.files("seawitness.data") / "ATTRIBUTION.md").read_text(encoding="utf-8")
    except (FileNotFoundError, ModuleNotFoundError):
        return ""
    return text.replace("**", "").replace("`", "")


@router.get("/about", response_class=HTMLResponse)
def about_page(request: Request) -> Response:
    svc = _service(request)
    base = str(request.base_url).rstrip("/")
    return render(
        request,
        "about.html",
        log=svc.log_info(),
        base_url=base,
        attribution=_attribution(),
        coast_source=coast.SOURCE if coast.available() else None,
    )
