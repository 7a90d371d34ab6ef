"""The web application: the JSON API, the dashboard and (if present) the log endpoints.

``create_app(inst)`` is what ``seawitness serve`` and ``seawitness demo`` run. Nothing it
serves loads anything from another host: the dashboard's CSS, script, map and charts are
ours, and the interactive API docs at ``/docs`` are served from the installed
``swagger-ui-bundle`` package when it is there (otherwise ``/docs`` points to
``/openapi.json``).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from seawitness import __version__
from seawitness.api import routes
from seawitness.api.service import SEA_RULES, BadParameter, NotFound, Service
from seawitness.instance import Instance

DESCRIPTION = """\
Radioactivity measurements in the sea around Fukushima Daiichi, from an append-only,
signed transparency log.

* Every result is a leaf of the log; `/api/v1/records/{leaf}/proof` proves it is in the
  latest signed checkpoint (`/api/v1/log`).
* Non-detects are never values: `detection` is the MARIS code (`=`, `<`, `ND`, `DE`) and
  for `<` the `value` is the detection limit.
* Errors are `{"error": ..., "detail": ...}` with a 4xx/5xx status.
* Stability: URLs and keys under `/api/v1` stay; new keys may be added, so ignore keys you
  do not know.
"""


def _swagger_dir() -> Path | None:
    try:
        from swagger_ui_bundle import swagger_ui_path
    except ImportError:
        return None
    path = Path(str(swagger_ui_path))
    return path if (path / "swagger-ui-bundle.js").is_file() else None


def _error(status: int, error: str, detail: str, parameter: str | None = None) -> JSONResponse:
    body: dict[str, Any] = {"error": error, "detail": detail}
    if parameter:
        body["parameter"] = parameter
    return JSONResponse(body, status_code=status)


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/api/") and "text/html" in request.headers.get(
        "accept", ""
    )


def _install_error_handlers(app: FastAPI) -> None:
    """One error shape for the API; a readable page for a browser on the dashboard."""
    from seawitness.web.pages import error_page

    @app.exception_handler(BadParameter)
    async def bad_parameter(request: Request, exc: BadParameter) -> Response:
        if _wants_html(request):
            return error_page(request, 400, str(exc))
        return _error(400, "bad_parameter", str(exc), exc.param)

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound) -> Response:
        if _wants_html(request):
            return error_page(request, 404, str(exc))
        return _error(404, "not_found", str(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        errs = exc.errors()
        first = errs[0] if errs else {}
        loc = [str(x) for x in first.get("loc", ()) if x not in ("query", "path", "body")]
        param = loc[0] if loc else None
        detail = f"{param}: {first.get('msg', 'invalid')}" if param else str(first.get("msg"))
        if first.get("input") is not None and param:
            detail += f" (got {first['input']!r})"
        if _wants_html(request):
            return error_page(request, 400, detail)
        return _error(400, "bad_parameter", detail, param)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        if _wants_html(request):
            return error_page(request, exc.status_code, str(exc.detail))
        return _error(exc.status_code, code, str(exc.detail))


def _openapi_with_our_errors(app: FastAPI) -> None:
    """Document what we send: a 400 :class:`ErrorBody` where FastAPI would say 422."""
    from fastapi.openapi.utils import get_openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
            tags=app.openapi_tags,
        )
        bad = {
            "description": "A bad parameter; `parameter` names it",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
        }
        for ops in schema.get("paths", {}).values():
            for op in ops.values():
                responses = op.get("responses", {})
                if responses.pop("422", None) is not None:
                    responses.setdefault("400", bad)
        comps = schema.get("components", {}).get("schemas", {})
        comps.pop("HTTPValidationError", None)
        comps.pop("ValidationError", None)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _warm(svc: Service) -> None:
    """Fill the per-checkpoint caches so the first visitor does not wait for them."""
    try:
        svc.summary()
        svc.latest_near_outlet()
        from seawitness.api.service import make_query
        from seawitness.web.pages import newest_results

        q = make_query(limit=50)
        svc.cached(("data_preview", q), lambda: newest_results(svc, q))
        svc.limits(SEA_RULES)
    except Exception:  # a cold cache is only slower; the request path reports real errors
        pass


def create_app(inst: Instance, *, warm: bool = True) -> FastAPI:
    """The ASGI app for one instance: API under /api/v1, dashboard at /, static files."""
    app = FastAPI(
        title="seawitness",
        version=__version__,
        description=DESCRIPTION,
        docs_url=None,
        redoc_url=None,
        openapi_tags=[
            {"name": "data", "description": "Measurements, stations, series, summaries"},
            {"name": "log", "description": "The transparency log: checkpoints, tiles, witnesses"},
        ],
    )
    app.state.instance = inst
    app.state.service = Service.for_instance(inst)
    _install_error_handlers(app)
    _openapi_with_our_errors(app)
    app.include_router(routes.router)
    try:
        from seawitness.api.tlog_routes import router as tlog_router  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        pass
    else:
        app.include_router(tlog_router)

    from seawitness.web import pages

    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=pages.STATIC_DIR), name="static")

    swagger = _swagger_dir()
    if swagger is not None:
        app.mount("/_swagger", StaticFiles(directory=swagger), name="swagger")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        if swagger is None:
            return HTMLResponse(
                '<!doctype html><meta charset="utf-8"><title>seawitness API</title>'
                '<p>The API is described by <a href="/openapi.json">/openapi.json</a> '
                "(OpenAPI 3.1). Install <code>swagger-ui-bundle-v2</code> for an "
                "interactive page here.</p>"
            )
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="seawitness API",
            swagger_js_url="/_swagger/swagger-ui-bundle.js",
            swagger_css_url="/_swagger/swagger-ui.css",
            swagger_favicon_url="/static/favicon.svg",
        )

    if warm:
        threading.Thread(target=_warm, args=(app.state.service,), daemon=True).start()
    return app
