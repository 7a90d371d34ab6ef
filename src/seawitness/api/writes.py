"""The log's write paths over HTTP: signed submissions and witness cosignatures.

* ``POST /api/v1/entries``: newline-delimited signed entries, each line the canonical
  envelope of one entry as its signer made it (see :mod:`seawitness.model.entry`; the log
  adds ``logged_at``). All or nothing: a rejected batch changes nothing, and the answer
  names the entry by its position in the batch (0-based) and its line (1-based).
* ``POST /api/v1/cosignatures``: a witness delivers its cosignature (pull-mode
  witnessing, see :mod:`seawitness.trust.witness`): the body is the checkpoint note it
  verified with its ``cosignature/v1`` line appended. The line must verify under the key
  of a registered witness, over a checkpoint this log signed, with a timestamp within
  :data:`~seawitness.trust.registry.MAX_CLOCK_SKEW` of the server's clock. The answer's
  ``added`` lists the witnesses whose cosignature was new, ``witnesses`` all those the log
  now holds for that checkpoint.

Both read their body in bounded chunks with a deadline and count against per-client and
per-key budgets (:mod:`seawitness.api.limits`), and both do their database work on a
worker thread, so a long write never stalls the event loop that serves the readers.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import Connection, insert, select

from seawitness.api.limits import RateLimiter, Refused, read_body
from seawitness.ingest.submit import Accepted, SubmissionError, submit
from seawitness.instance import Instance
from seawitness.model.entry import Entry, EntryError
from seawitness.model.times import now_utc
from seawitness.store import schema as s
from seawitness.store.store import as_utc
from seawitness.tlog.checkpoint import Checkpoint, CheckpointError
from seawitness.tlog.cosignature import CosignatureError, decode_cosignature
from seawitness.tlog.note import (
    ALG_COSIGNATURE_V1,
    CosignatureV1Verifier,
    NoteError,
    parse_note,
    parse_vkey,
)
from seawitness.trust.registry import MAX_CLOCK_SKEW

__all__ = ["MAX_COSIGNATURE_BODY", "MAX_ENTRIES_BODY", "WriteLimits", "router"]

router = APIRouter(tags=["log"])

#: Largest submission body (about 60,000 typical entries).
MAX_ENTRIES_BODY = 64 * 1024 * 1024
#: Largest cosignature body: a checkpoint note with a few signature lines.
MAX_COSIGNATURE_BODY = 64 * 1024


@dataclass
class WriteLimits:
    """Budgets per client address (requests) and per signing key (entries)."""

    requests: RateLimiter = field(default_factory=lambda: RateLimiter(120, 60))
    entries: RateLimiter = field(default_factory=lambda: RateLimiter(200_000, 100_000))


_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {
        "description": text,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
    }
    for code, text in {
        400: "Malformed request",
        403: "A signature or key that is not accepted",
        404: "A checkpoint this log never signed",
        408: "The body did not arrive in time",
        413: "The body is over the size limit",
        422: "An entry the log refuses; `index` and `line` name it",
        429: "Over the client's or key's budget; see `Retry-After`",
    }.items()
}
_ENTRIES_BODY = {
    "requestBody": {
        "required": True,
        "description": (
            "Newline-delimited JSON: one signed entry envelope per line, canonical "
            "RFC 8785 bytes (schema seawitness/entry/v1, without logged_at)."
        ),
        "content": {
            "application/x-ndjson": {
                "schema": {"type": "string", "maxLength": MAX_ENTRIES_BODY},
                "example": (
                    '{"key_id":"KINS+1a2b3c4d","kind":"measurement","record":{...},'
                    '"schema":"seawitness/entry/v1","seq":0,"signature":"...",'
                    '"submitted_at":"2026-12-01T00:00:00.000000Z","submitter":"KINS"}\n'
                ),
            }
        },
    }
}
_COSIGNATURE_BODY = {
    "requestBody": {
        "required": True,
        "description": "A checkpoint note of this log with a cosignature/v1 line appended.",
        "content": {
            "text/plain": {"schema": {"type": "string", "maxLength": MAX_COSIGNATURE_BODY}}
        },
    }
}


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def parse_entries(body: bytes) -> list[Entry]:
    """The envelopes of a submission body, one per non-empty line.

    :raises EntryError: naming the entry's position in the batch and its line.
    """
    return parse_lines(body)[0]


def parse_lines(body: bytes) -> tuple[list[Entry], list[int]]:
    """The envelopes of a submission body and the line (1-based) each came from."""
    entries: list[Entry] = []
    lines: list[int] = []
    for n, line in enumerate(body.split(b"\n"), start=1):
        if not line.strip():
            continue
        try:
            entries.append(Entry.from_bytes(line, leaf=False))
            lines.append(n)
        except EntryError as exc:
            i = len(entries)
            raise EntryError(
                f"entry {i} (line {n}) rejected: {exc}",
                where=f"entry {i}",
                context={"index": i, "line": n},
            ) from None
    if not entries:
        raise Refused(400, "bad_request", "no entries in the request body")
    return entries, lines


def _append(inst: Instance, entries: list[Entry]) -> tuple[Accepted, str]:
    with inst.store.transaction() as conn:
        acc = submit(inst.store, conn, entries)
        return acc, inst.checkpoint(conn)


@router.post(
    "/api/v1/entries",
    summary="Submit signed entries (NDJSON)",
    openapi_extra=_ENTRIES_BODY,
    responses=_ERRORS,
)
async def post_entries(request: Request) -> dict[str, Any]:
    """Append a batch of signed entries; all are checked before any is stored."""
    limits: WriteLimits = request.app.state.limits
    limits.requests.take(_client(request))
    body = await read_body(request, MAX_ENTRIES_BODY)
    entries, lines = parse_lines(body)
    for key_id, n in Counter(e.key_id for e in entries).items():
        limits.entries.take(key_id, n, "entries")
    try:
        acc, note = await run_in_threadpool(_append, request.app.state.instance, entries)
    except SubmissionError as exc:  # the gate names the batch position; add the line
        exc.context["line"] = lines[exc.index]
        raise
    return {
        "first_leaf": acc.first_leaf,
        "tree_size": acc.tree_size,
        "leaves": acc.leaves,
        "checkpoint": note,
    }


def _witness_verifiers(conn: Connection, at: datetime) -> dict[tuple[str, bytes], Any]:
    """Cosignature verifiers of the witness keys valid at ``at``."""
    rows = conn.execute(
        select(s.keys.c.vkey, s.keys.c.valid_from, s.keys.c.valid_until, s.keys.c.revoked_at)
        .join(s.stakeholders, s.stakeholders.c.id == s.keys.c.stakeholder)
        .where(s.stakeholders.c.kind == "witness")
    )
    out = {}
    for vkey, start, until, revoked in rows:
        ends = [t for t in (as_utc(until), as_utc(revoked)) if t is not None]
        if as_utc(start) > at or any(at >= t for t in ends):  # type: ignore[operator]
            continue
        vk = parse_vkey(vkey)
        if vk.alg == ALG_COSIGNATURE_V1:
            v = CosignatureV1Verifier(vk.name, vk.public_key)
            out[(v.name, v.key_id)] = v
    return out


def _cosign(inst: Instance, text: str) -> dict[str, Any]:
    try:
        note = parse_note(text)
        cp = Checkpoint.from_text(note.text)
    except (NoteError, CheckpointError) as exc:
        raise Refused(400, "bad_request", f"malformed checkpoint note: {exc}") from None
    now = now_utc()
    with inst.store.transaction() as conn:
        row = conn.execute(
            select(s.checkpoints.c.size, s.checkpoints.c.note).where(
                s.checkpoints.c.size == cp.size
            )
        ).first()
        if row is None or parse_note(row[1]).text != note.text:
            raise Refused(404, "not_found", "this log never signed that checkpoint")
        witnesses = _witness_verifiers(conn, now)
        ours = [sig for sig in note.signatures if (sig.name, sig.key_id) in witnesses]
        if not ours:
            raise Refused(403, "not_authorized", "no cosignature from a registered witness key")
        added = []
        for sig in ours:
            if not witnesses[(sig.name, sig.key_id)].verify(note.text.encode(), sig.signature):
                raise Refused(403, "not_authorized", f"cosignature by {sig.name} does not verify")
            try:
                stamp, _ = decode_cosignature(sig.signature)
            except CosignatureError as exc:
                raise Refused(400, "bad_request", str(exc)) from None
            when = datetime.fromtimestamp(stamp, UTC) if stamp < 2**37 else None
            if when is None or abs(when - now) > MAX_CLOCK_SKEW:
                raise Refused(
                    400,
                    "bad_request",
                    f"cosignature timestamp {stamp} is more than "
                    f"{int(MAX_CLOCK_SKEW.total_seconds() // 60)} minutes from the log's clock",
                )
            exists = conn.execute(
                select(s.cosignatures.c.size).where(
                    s.cosignatures.c.size == row[0], s.cosignatures.c.witness == sig.name
                )
            ).first()
            if exists is None:
                conn.execute(
                    insert(s.cosignatures).values(
                        size=row[0],
                        witness=sig.name,
                        signature_line=sig.line.rstrip("\n"),
                        created_at=now,
                    )
                )
                added.append(sig.name)
        held = sorted(
            w
            for (w,) in conn.execute(
                select(s.cosignatures.c.witness).where(s.cosignatures.c.size == row[0])
            )
        )
    return {"size": row[0], "added": added, "witnesses": held}


@router.post(
    "/api/v1/cosignatures",
    summary="Deliver a witness cosignature for a checkpoint of this log",
    openapi_extra=_COSIGNATURE_BODY,
    responses=_ERRORS,
)
async def post_cosignature(request: Request) -> dict[str, Any]:
    limits: WriteLimits = request.app.state.limits
    limits.requests.take(_client(request))
    body = await read_body(request, MAX_COSIGNATURE_BODY)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Refused(400, "bad_request", f"the note is not UTF-8 (byte {exc.start})") from None
    return await run_in_threadpool(_cosign, request.app.state.instance, text)
