"""A small client for a seawitness server: submit signed entries, read sequence numbers.

A refusal raises :class:`~seawitness.errors.RemoteError` with the server's reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx

from seawitness.errors import RemoteError
from seawitness.model.entry import Entry


class RemoteLog:
    def __init__(self, url: str, client: httpx.Client | None = None) -> None:
        self.url = url.rstrip("/")
        self.client = client or httpx.Client(timeout=120.0)

    def next_seq(self, stakeholder: str) -> int:
        r = self.client.get(f"{self.url}/api/v1/stakeholders/{stakeholder}/next-seq")
        if r.status_code != 200:
            raise RemoteError(f"{self.url}: HTTP {r.status_code}: {r.text[:300]}")
        return int(r.json()["next_seq"])

    def submit(self, entries: Sequence[Entry]) -> dict[str, Any]:
        body = b"\n".join(e.envelope_bytes() for e in entries) + b"\n"
        r = self.client.post(
            f"{self.url}/api/v1/entries",
            content=body,
            headers={"Content-Type": "application/x-ndjson"},
        )
        if r.status_code != 200:
            try:
                body = r.json()
                reason = body.get("detail") or body.get("error") or r.text
            except (ValueError, AttributeError):
                reason = r.text
            raise RemoteError(f"{self.url} rejected the submission: {reason}")
        return r.json()
