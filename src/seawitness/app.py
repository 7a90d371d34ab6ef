"""The web application: the JSON API, the log endpoints and the dashboard, wired together.

``create_app(inst)`` is what ``seawitness serve`` and ``seawitness demo`` run. The API
(:mod:`seawitness.api`) and the dashboard (:mod:`seawitness.web`) both stand on the read
model (:mod:`seawitness.service`) and know nothing of each other; this module is the only
place that puts them in one ASGI app, and the API's one place that turns the errors
seawitness raises on purpose (:class:`~seawitness.errors.SeawitnessError`) into answers:
the JSON error body ``{"error", "detail"[, "parameter"]}`` for API clients, a readable
page for a browser on the dashboard. Anything else is a bug and answers 500.

Nothing it serves loads anything from another host: the dashboard's CSS, script, map and
charts are ours, and the API docs at ``/docs`` come from an installed package.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from seawitness import __version__
from seawitness.api import bulk_routes, http, routes, tlog_routes, writes
from seawitness.api.limits import Refused
from seawitness.api.openapi import DESCRIPTION, TAGS, install_docs, install_openapi
from seawitness.errors import InputError, NotFoundError, SeawitnessError
from seawitness.ingest.submit import SubmissionError
from seawitness.instance import Instance
from seawitness.model.entry import EntryError
from seawitness.service import SEA_RULES, Service, make_query
from seawitness.web import pages, reports
from seawitness.web import views as web_views

__all__ = ["create_app"]


def _error(status: int, error: str, detail: str, parameter: str | None = None) -> JSONResponse:
    body: dict[str, Any] = {"error": error, "detail": detail}
    if parameter:
        body["parameter"] = parameter
    return JSONResponse(body, status_code=status)


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/api/") and "text/html" in request.headers.get(
        "accept", ""
    )


def _status(exc: SeawitnessError) -> int:
    if isinstance(exc, Refused):
        return exc.status
    if isinstance(exc, NotFoundError):
        return 404
    if isinstance(exc, (SubmissionError, EntryError)):
        return 422  # well-formed HTTP, but an entry the log refuses
    if isinstance(exc, InputError):
        return 400
    return 500


def _install_error_handlers(app: FastAPI) -> None:
    """One error shape for the API; a readable page for a browser on the dashboard."""

    @app.exception_handler(SeawitnessError)
    async def seawitness_error(request: Request, exc: SeawitnessError) -> Response:
        status = _status(exc)
        if _wants_html(request):
            return pages.error_page(request, status, str(exc))
        body: dict[str, Any] = {"error": exc.code, "detail": str(exc), **exc.context}
        headers = {}
        if isinstance(exc, Refused) and exc.retry_after is not None:
            headers["Retry-After"] = str(int(exc.retry_after))
        return JSONResponse(body, status_code=status, headers=headers)

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
            return pages.error_page(request, 400, detail)
        return _error(400, "bad_parameter", detail, param)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        if _wants_html(request):
            return pages.error_page(request, exc.status_code, str(exc.detail))
        out = _error(exc.status_code, code, str(exc.detail))
        out.headers.update(exc.headers or {})  # a 405's Allow (RFC 9110 §15.5.6)
        return out


#: Seconds between the end of the app's start-up and the start of the warm-up: uvicorn
#: binds its socket right after the lifespan start-up completes, so the server is
#: listening, and can answer its first requests, before the warm-up takes the CPU.
WARM_DELAY_S = 0.5


def _warm(svc: Service) -> None:
    """Fill the per-checkpoint caches so the first visitor does not wait for them.

    The home page's aggregates come first (it shows them while this runs, see
    :meth:`Service.soon`), the slow evaluations last. Each step is one cache entry; a
    request that needs another entry computes it itself and does not wait for this.
    """
    try:
        svc.stations()
        svc.summary()
        web_views.warm_home(svc)
        svc.latest_near_outlet()
        q = make_query(limit=50)
        svc.cached(("data_preview", q), lambda: pages.newest_results(svc, q))
        svc.limits(SEA_RULES)
        web_views.warm(svc)
    except SeawitnessError:  # a cold cache is only slower; requests report the error
        pass
    finally:
        svc.warming.clear()


def start_warm(svc: Service) -> threading.Thread:
    """Start the warm-up in a daemon thread; pages do not wait for it (see :meth:`Service.soon`)."""
    svc.warming.set()
    t = threading.Thread(target=_warm, args=(svc,), name="seawitness-warm", daemon=True)
    t.start()
    return t


def _lifespan(warm: bool) -> Any:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        svc: Service = app.state.service
        handle = None
        if warm:
            svc.warming.set()  # pages stop waiting for aggregates from here on
            loop = asyncio.get_running_loop()
            handle = loop.call_later(
                WARM_DELAY_S, lambda: setattr(app.state, "warm_thread", start_warm(svc))
            )
        yield
        if handle is not None:
            handle.cancel()
            if app.state.warm_thread is None:  # stopped before the warm-up began
                svc.warming.clear()

    return lifespan


def create_app(inst: Instance, *, warm: bool = True) -> FastAPI:
    """The ASGI app for one instance: API under /api/v1, log paths, dashboard at /.

    With ``warm``, the app's start-up schedules the warm-up of the dashboard's caches
    (:data:`WARM_DELAY_S` later, when the server is listening); until it is done the
    home page shows what is ready and says what is still being computed. Creating the
    app starts nothing.
    """
    app = FastAPI(
        title="seawitness",
        version=__version__,
        description=DESCRIPTION,
        docs_url=None,
        redoc_url=None,
        openapi_tags=TAGS,
        lifespan=_lifespan(warm),
    )
    app.state.instance = inst
    app.state.service = Service.open(inst.store, inst.origin, inst.bulk_dir)
    _install_error_handlers(app)
    install_openapi(app)
    app.include_router(routes.router)
    app.include_router(bulk_routes.router)
    app.include_router(tlog_routes.router)
    app.include_router(writes.router)
    app.state.limits = writes.WriteLimits()
    app.include_router(pages.router)
    app.include_router(web_views.router)
    app.include_router(reports.router)
    app.mount("/static", StaticFiles(directory=pages.STATIC_DIR), name="static")
    install_docs(app)
    http.install(app, app.state.service.tree_size)
    app.state.warm_thread = None  # the warm-up starts after start-up, once listening
    return app
