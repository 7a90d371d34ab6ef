"""Dashboard pages for the questions people bring: food under my rules, do the labs
agree, and the log itself (growth, checkpoints, witnesses).

Same rules as :mod:`seawitness.web.pages`: complete server-rendered HTML over the read
model, inline SVG, every control a plain GET form so it works without JavaScript.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from seawitness.charts import plots
from seawitness.model.zones import ZONE_OFFSHORE, ZONE_OUTLET, ZONE_SQUARE
from seawitness.service import labs, views
from seawitness.service.logview import log_history
from seawitness.service.params import BadParameter
from seawitness.service.readmodel import Service
from seawitness.web.i18n import Translator
from seawitness.web.pages import (
    FOOD_RULE_SETS,
    FOOD_RULES,
    MAP_RULES,
    _lang,
    _service,
    choice,
    render,
)

__all__ = ["router", "warm", "warm_home"]

router = APIRouter(include_in_schema=False)

ZONES = ("", ZONE_OUTLET, ZONE_SQUARE, ZONE_OFFSHORE)


def warm_home(svc: Service) -> None:
    """Compute the home page's map with its default rule set (app start-up)."""
    views.station_status(svc, MAP_RULES)


def warm(svc: Service) -> None:
    """Compute what these pages read with their default choices (app start-up)."""
    views.food_view(svc, FOOD_RULES)
    labs.lab_pairs(svc)


@router.get("/food", response_class=HTMLResponse)
def food_page(request: Request) -> Response:
    """Fish and other biota of an area against one jurisdiction's food limits."""
    svc = _service(request)
    rules = choice(request, "rules", FOOD_RULE_SETS, FOOD_RULES)
    zone = choice(request, "zone", ZONES, "") or None
    view = views.food_view(svc, rules, zone=zone)
    return render(
        request,
        "food.html",
        view=view,
        rules=rules,
        rule_sets=FOOD_RULE_SETS,
        zone=zone or "",
        zones=ZONES,
        classes=views.CLASS_ORDER,
    )


@router.get("/labs", response_class=HTMLResponse)
def labs_page(request: Request) -> Response:
    """Organisations measuring one place at (nearly) the same time, side by side."""
    svc = _service(request)
    t = Translator(_lang(request))
    raw = request.query_params.get("window", "").strip() or f"{labs.DEFAULT_WINDOW_DAYS:g}"
    try:
        window = float(raw)
    except ValueError:
        raise BadParameter("window", f"{raw!r} is not a number of days") from None
    result = labs.lab_pairs(svc, window)
    pairs = [
        (p, s)
        for pl in result["places"]
        for s in pl["series"]
        for p in s["pairs"]
        if p["both_detected"]
    ]
    scatter = plots.pair_scatter(
        [
            {
                "x": p["a"]["value"],
                "y": p["b"]["value"],
                "group": s["nuclide"],
                "title": f"{s['stations'][0]} {s['nuclide']} {p['a']['sampled_at'][:10]}: "
                f"{s['orgs'][0]} {p['a']['value']:g} / {s['orgs'][1]} {p['b']['value']:g} "
                f"{s['unit']}",
            }
            for p, s in pairs
        ],
        x_label=t("labs_axis_first"),
        y_label=t("labs_axis_second"),
        title=t("labs_plot_title"),
    )
    return render(request, "labs.html", result=result, window=window, scatter=scatter)


@router.get("/log", response_class=HTMLResponse)
def log_page(request: Request) -> Response:
    """The log's size over time, its latest checkpoints and who cosigned each."""
    svc = _service(request)
    t = Translator(_lang(request))
    hist = log_history(svc)
    chart = plots.growth_chart(hist["growth"], title=t("log_growth_title"), y_label=t("log_size"))
    return render(request, "log.html", hist=hist, log=svc.log_info(), chart=chart)
