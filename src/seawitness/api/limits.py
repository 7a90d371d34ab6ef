"""Limits on what one client may make the server do: body size, time, rate.

A registered lab is trusted to sign its own results, not to be gentle with the server.
Every POST body is read in chunks and refused (413) the moment it passes its limit, so a
100 MB body costs the server at most the limit in memory, not 100 MB; a body that does
not arrive within :data:`BODY_SECONDS` is refused (408); and each client address and each
signing key has a budget of requests and entries per minute (429, with ``Retry-After``).
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from dataclasses import dataclass, field

from fastapi import Request

from seawitness.errors import InputError

__all__ = ["BODY_SECONDS", "Refused", "RateLimiter", "read_body"]

#: Seconds a client has to deliver a request body.
BODY_SECONDS = 60.0


class Refused(InputError):
    """A request the server will not take (over a size, time or rate limit, or not
    authorized); ``status`` is the HTTP status to answer and ``code`` the error code."""

    def __init__(self, status: int, code: str, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.retry_after = retry_after


async def read_body(request: Request, limit: int, seconds: float = BODY_SECONDS) -> bytes:
    """The request body, read in chunks and refused as soon as it passes ``limit`` bytes.

    :raises Refused: 413 over the limit (also from ``Content-Length`` alone, before
        reading anything), 408 if the body is not complete within ``seconds``, 400 for a
        malformed ``Content-Length``.
    """
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise Refused(400, "bad_request", "Content-Length is not a number")
        if int(declared) > limit:
            raise Refused(413, "too_large", f"at most {limit} bytes per request")

    async def read() -> bytes:
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise Refused(413, "too_large", f"at most {limit} bytes per request")
            chunks.append(chunk)
        return b"".join(chunks)

    try:
        return await asyncio.wait_for(read(), timeout=seconds)
    except TimeoutError:
        raise Refused(408, "timeout", f"the body did not arrive within {seconds:g} s") from None


@dataclass
class _Bucket:
    tokens: float
    stamp: float


@dataclass
class RateLimiter:
    """Token buckets: ``per_minute`` units a minute per key, bursts up to ``burst``.

    In memory and per process: enough for one server; a fleet of API nodes would keep the
    buckets in the database or a shared cache.
    """

    per_minute: float
    burst: float
    _buckets: dict[str, _Bucket] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self, key: str, units: float = 1.0, what: str = "requests") -> None:
        """Spend ``units`` from ``key``'s bucket, or raise a 429 saying when to retry."""
        now = time.monotonic()
        rate = self.per_minute / 60.0
        with self._lock:
            b = self._buckets.get(key)
            if b is None:
                b = self._buckets[key] = _Bucket(self.burst, now)
            b.tokens = min(self.burst, b.tokens + (now - b.stamp) * rate)
            b.stamp = now
            if units > self.burst:
                raise Refused(
                    429,
                    "rate_limited",
                    f"{units:g} {what} in one request is over the limit of {self.burst:g}; "
                    "split it",
                )
            if b.tokens < units:
                wait = math.ceil((units - b.tokens) / rate)
                raise Refused(
                    429,
                    "rate_limited",
                    f"{key}: over {self.per_minute:g} {what} a minute; retry in {wait} s",
                    retry_after=wait,
                )
            b.tokens -= units
            if len(self._buckets) > 10_000:  # forget full buckets of quiet clients
                for k in [k for k, v in self._buckets.items() if v.tokens >= self.burst]:
                    del self._buckets[k]
