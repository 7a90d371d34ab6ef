"""``/reports``: the evidence report of :mod:`seawitness.report` on the dashboard, and the
alerts as an Atom feed.

The page takes a rule set, a region, a period and a language, and shows the report with
links to its HTML and PDF and the exact command that makes the same bytes from a copy of
the log. A report is built at the newest signed checkpoint and cached per tree size
(:class:`seawitness.service.SizeCache`), so the second visitor does not wait.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from seawitness.analysis.limits import list_rule_sets
from seawitness.report import ReportRequest, build, html_to_pdf, list_regions, render_html
from seawitness.report.i18n import LANGS as REPORT_LANGS
from seawitness.service import Service
from seawitness.service.alert_delivery import alerts, atom_feed
from seawitness.web.pages import _lang, render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


def _request(request: Request) -> ReportRequest | None:
    q = request.query_params
    rules, region = q.get("rules", "").strip(), q.get("region", "").strip()
    if not rules or not region:
        return None
    lang = q.get("report_lang") or _lang(request)
    return ReportRequest(
        rules=rules,
        region=region,
        since=q.get("from", "").strip() or None,
        until=q.get("to", "").strip() or None,
        lang=lang if lang in REPORT_LANGS else "en",
    )


def _html(svc: Service, req: ReportRequest) -> tuple[dict[str, Any], str]:
    def compute() -> tuple[dict[str, Any], str]:
        d = build(svc.store, req)
        return d, render_html(d)

    return svc.cached(("report", req), compute)


def _query(req: ReportRequest) -> str:
    params = {"rules": req.rules, "region": req.region, "report_lang": req.lang}
    if req.since:
        params["from"] = req.since
    if req.until:
        params["to"] = req.until
    return urlencode(params)


@router.get("/reports", response_class=HTMLResponse)
def reports_page(request: Request) -> Response:
    svc: Service = request.app.state.service
    req = _request(request)
    ctx: dict[str, Any] = {
        "rule_sets": list_rule_sets(),
        "regions": list_regions(),
        "report_langs": REPORT_LANGS,
        "form": dict(request.query_params),
        "report": None,
    }
    if req is not None:
        d, _ = _html(svc, req)
        q = _query(req)
        ctx["report"] = {
            "data": d,
            "html_url": f"/reports/report.html?{q}",
            "pdf_url": f"/reports/report.pdf?{q}",
            "command": d["command"],
        }
    return render(request, "reports.html", **ctx)


@router.get("/reports/report.html", response_class=HTMLResponse)
def report_html(request: Request) -> Response:
    req = _request(request)
    if req is None:
        return reports_page(request)
    _, html = _html(request.app.state.service, req)
    return HTMLResponse(html)


@router.get("/reports/report.pdf")
def report_pdf(request: Request) -> Response:
    svc: Service = request.app.state.service
    req = _request(request)
    if req is None:
        return reports_page(request)
    _, html = _html(svc, req)
    pdf = svc.cached(("report.pdf", req), lambda: html_to_pdf(html))
    name = f"seawitness-{req.rules}-{req.region}.pdf".replace(":", "_").replace("/", "_")
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{name}"'},
    )


@router.get("/alerts.atom")
def alerts_feed(request: Request) -> Response:
    svc: Service = request.app.state.service
    feed = atom_feed(alerts(svc.store, 200), base_url=str(request.base_url), origin=svc.origin)
    return Response(feed, media_type="application/atom+xml")
