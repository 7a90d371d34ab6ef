"""The API's description: OpenAPI 3.1 as FastAPI builds it, with our error shape, and the
interactive docs page, served offline from the installed ``swagger-ui-bundle`` package."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

__all__ = ["DESCRIPTION", "TAGS", "install_docs", "install_openapi"]

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


TAGS = [
    {"name": "data", "description": "Measurements, stations, series, summaries"},
    {"name": "log", "description": "The transparency log: checkpoints, tiles, witnesses"},
]


def _swagger_dir() -> Path | None:
    from swagger_ui_bundle import swagger_ui_path  # a dependency; its files may be absent

    path = Path(str(swagger_ui_path))
    return path if (path / "swagger-ui-bundle.js").is_file() else None


def install_openapi(app: FastAPI) -> None:
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
                if "HTTPValidationError" in str(responses.get("422", "")):
                    del responses["422"]  # FastAPI's validation answer: ours is a 400
                    responses.setdefault("400", bad)
        comps = schema.get("components", {}).get("schemas", {})
        comps.pop("HTTPValidationError", None)
        comps.pop("ValidationError", None)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def install_docs(app: FastAPI) -> None:
    """``/docs``: Swagger UI from the installed package (a plain pointer to
    ``/openapi.json`` if its files are missing)."""
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
