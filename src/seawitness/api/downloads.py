"""Streaming downloads of measurements: CSV, Parquet and newline-delimited JSON.

The bytes come from :mod:`seawitness.export.stream` (one statement over the index, read
in batches, so the server holds one batch whatever the size of the selection). This
module makes them an HTTP response that also lets go of the database when the client
does: a download stopped half-way closes the generator, which closes the cursor and
returns the connection to the pool at once (tests/test_api_read.py checks it over a real
socket), instead of whenever the garbage collector gets to it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import anyio
import anyio.to_thread
from sqlalchemy import Engine
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from seawitness.export.stream import csv_chunks, ndjson_chunks, parquet_chunks
from seawitness.store.store import Query

__all__ = ["FORMATS", "ClosingStream", "download"]

#: format -> (media type, file name, writer)
FORMATS: dict[str, tuple[str, str | None, Callable[[Engine, Query], Iterator[bytes]]]] = {
    "csv": ("text/csv; charset=utf-8", "measurements.csv", csv_chunks),
    "ndjson": ("application/x-ndjson", None, ndjson_chunks),
    "parquet": ("application/vnd.apache.parquet", "measurements.parquet", parquet_chunks),
}

_DONE = object()


def _next(it: Iterator[bytes]) -> Any:
    return next(it, _DONE)


async def _in_thread(it: Iterator[bytes]) -> AsyncIterator[bytes]:
    while (chunk := await anyio.to_thread.run_sync(_next, it)) is not _DONE:
        yield chunk


class ClosingStream(StreamingResponse):
    """A streaming response over a blocking generator that is closed when the response
    ends for any reason: sent, failed, or the client went away."""

    def __init__(self, chunks: Iterator[bytes], **kw: Any) -> None:
        self._chunks = chunks
        super().__init__(_in_thread(chunks), **kw)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            close = getattr(self._chunks, "close", None)
            if close is not None:
                with anyio.CancelScope(shield=True):
                    await anyio.to_thread.run_sync(close)


def download(engine: Engine, q: Query, fmt: str, headers: dict[str, str]) -> ClosingStream:
    """The whole selection ``q`` as a file in ``fmt`` (csv, ndjson or parquet)."""
    media, name, chunks = FORMATS[fmt]
    if name:
        headers = {**headers, "Content-Disposition": f'attachment; filename="{name}"'}
    return ClosingStream(chunks(engine, q), media_type=media, headers=headers)
