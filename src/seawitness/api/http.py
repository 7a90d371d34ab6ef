"""HTTP around the data API: validators and caching per checkpoint, HEAD, CORS, gzip.

* **ETag and Cache-Control.** Every answer of the data endpoints is a function of the
  URL and of the log at its current size (the log only grows, and the index rows and the
  checkpoint of a submission are written in one transaction). So the validator is the
  tree size and a hash of the path and query, known *before* the answer is computed: a
  client that sends it back in ``If-None-Match`` gets ``304 Not Modified`` from one
  primary-key look-up (RFC 9110 §8.8.3, §13.1.2). ``Cache-Control: public, max-age=30``
  lets shared caches answer for a short while; after that they revalidate.
* **HEAD** is answered for every data endpoint as GET without a body (RFC 9110 §9.3.2);
  a download answers HEAD with its headers without reading the data.
* **CORS**: any origin may read (GET, HEAD) and see the validators; the data are public.
* **gzip** for text answers (Starlette's GZipMiddleware, level 4: a whole-table CSV
  is compressed as it streams); Parquet is already compressed and is sent as it is,
  and so are the bulk files (``/api/v1/bulk/``), which are sent as files with byte
  ranges and their own digest, both of which apply to the bytes on disk.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from fastapi import FastAPI
from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.gzip import DEFAULT_EXCLUDED_CONTENT_TYPES, GZipMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["CACHE_CONTROL", "DATA_PATHS", "CheckpointCache", "install"]

#: The data endpoints whose answers change only with a new checkpoint.
DATA_PATHS = (
    "/api/v1/measurements",
    "/api/v1/stations",
    "/api/v1/records/",
    "/api/v1/summary",
    "/api/v1/rule-sets",
    "/api/v1/limits",
    "/api/v1/log",
    "/api/v1/datapackage.json",
)
CACHE_CONTROL = "public, max-age=30"


def _is_data(path: str) -> bool:
    return any(path == p or path.startswith(p.rstrip("/") + "/") for p in DATA_PATHS)


class CheckpointCache:
    """ETag per (tree size, URL), ``304`` for a matching ``If-None-Match``, and HEAD."""

    def __init__(self, app: ASGIApp, tree_size: Callable[[], int]) -> None:
        self.app = app
        self.tree_size = tree_size

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] not in ("GET", "HEAD")
            or not _is_data(scope["path"])
        ):
            await self.app(scope, receive, send)
            return
        head = scope["method"] == "HEAD"
        if head:  # routes are GET routes; answer as GET and drop the body
            scope = {**scope, "method": "GET", "seawitness.head": True}
        url = scope["path"] + "?" + scope.get("query_string", b"").decode("latin-1")
        digest = hashlib.sha256(url.encode()).hexdigest()[:16]
        etag = f'W/"{self.tree_size()}-{digest}"'
        wanted = Headers(scope=scope).get("if-none-match", "")
        if etag in [t.strip() for t in wanted.split(",")] or wanted.strip() == "*":
            await send(
                {
                    "type": "http.response.start",
                    "status": 304,
                    "headers": [
                        (b"etag", etag.encode()),
                        (b"cache-control", CACHE_CONTROL.encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": b""})
            return

        ended = False

        async def send_with_validators(message: Message) -> None:
            nonlocal ended
            if message["type"] == "http.response.start":
                if message["status"] == 200:
                    h = MutableHeaders(scope=message)
                    h["ETag"] = etag
                    h["Cache-Control"] = CACHE_CONTROL
                await send(message)
            elif message["type"] == "http.response.body" and head:
                if not ended:  # one empty body ends a HEAD answer; the rest is dropped
                    ended = True
                    await send({"type": "http.response.body", "body": b""})
            else:
                await send(message)

        await self.app(scope, receive, send_with_validators)


class _GZip(GZipMiddleware):
    """gzip, except for the bulk files (see the module's docstring)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/api/v1/bulk/"):
            await self.app(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


def install(app: FastAPI, tree_size: Callable[[], int]) -> None:
    """Validators and HEAD, CORS and gzip around ``app`` (innermost first)."""
    app.add_middleware(CheckpointCache, tree_size=tree_size)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=["*"],
        allow_methods=["GET", "HEAD"],
        expose_headers=["ETag", "Content-Disposition"],
    )
    app.add_middleware(
        _GZip,
        minimum_size=1024,
        compresslevel=4,
        exclude_content_types=(*DEFAULT_EXCLUDED_CONTENT_TYPES, "application/vnd.apache.parquet"),
    )
