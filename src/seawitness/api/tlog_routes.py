"""HTTP face of the log: C2SP tlog-tiles read paths, submissions and witness cosignatures.

Read paths follow c2sp.org/tlog-tiles so that any tiles client (and ``seawitness audit``)
can read the log: ``GET /checkpoint`` (the latest checkpoint with every cosignature
received for it), ``GET /tile/<L>/<N>[.p/<W>]`` and ``GET /tile/entries/<N>[.p/<W>]``.
Full tiles never change and are served as immutable.

Writes:

* ``POST /api/v1/entries``: newline-delimited signed entries (each line the canonical
  bytes of one entry, see :mod:`seawitness.model.entry`). All or nothing: a rejected
  batch changes nothing and the answer names the entry and the reason.
* ``POST /api/v1/cosignatures``: a witness delivers its cosignature (pull-mode witnessing,
  see :mod:`seawitness.trust.witness`): the body is the checkpoint note it verified with its
  ``cosignature/v1`` line appended. The line must verify under the key of a registered
  witness stakeholder, over a checkpoint this log signed.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from sqlalchemy import insert, select

from seawitness.ingest.submit import SubmissionError, submit
from seawitness.instance import Instance
from seawitness.model.entry import Entry, EntryError
from seawitness.store import schema as s
from seawitness.store.log import bundle_at_width
from seawitness.tlog.checkpoint import Checkpoint, CheckpointError
from seawitness.tlog.note import (
    ALG_COSIGNATURE_V1,
    CosignatureV1Verifier,
    NoteError,
    parse_note,
    parse_vkey,
)
from seawitness.tlog.tiles import (
    ENTRIES_LEVEL,
    TILE_WIDTH,
    TileError,
    parse_tile_path,
)

router = APIRouter()

IMMUTABLE = "public, max-age=31536000, immutable"
MAX_BODY = 64 * 1024 * 1024


def _inst(request: Request) -> Instance:
    return request.app.state.instance


def cosigned_checkpoint(inst: Instance, size: int | None = None) -> str | None:
    """The checkpoint note of ``size`` (default: latest) with its cosignature lines."""
    with inst.store.engine.connect() as c:
        q = select(s.checkpoints.c.size, s.checkpoints.c.note)
        q = (
            q.where(s.checkpoints.c.size == size)
            if size is not None
            else q.order_by(s.checkpoints.c.size.desc())
        )
        row = c.execute(q.limit(1)).first()
        if row is None:
            return None
        lines = [
            r[0]
            for r in c.execute(
                select(s.cosignatures.c.signature_line)
                .where(s.cosignatures.c.size == row[0])
                .order_by(s.cosignatures.c.witness)
            )
        ]
    note = row[1]
    return note + "".join(line + "\n" for line in lines)


@router.get(
    "/checkpoint",
    response_class=PlainTextResponse,
    tags=["log"],
    summary="Latest checkpoint (c2sp.org/tlog-checkpoint) with cosignatures",
)
def get_checkpoint(request: Request) -> Response:
    note = cosigned_checkpoint(_inst(request))
    if note is None:
        raise HTTPException(404, "the log has no checkpoint yet")
    return PlainTextResponse(note, headers={"Cache-Control": "no-cache"})


@router.get(
    "/tile/{path:path}", tags=["log"], summary="Hash tile or entry bundle (c2sp.org/tlog-tiles)"
)
def get_tile(path: str, request: Request) -> Response:
    try:
        coord = parse_tile_path("tile/" + path)
    except TileError as exc:
        raise HTTPException(404, str(exc)) from None
    inst = _inst(request)
    if coord.level == ENTRIES_LEVEL:
        with inst.store.engine.connect() as c:
            bundle = bundle_at_width(c, coord.index, coord.width)
        if bundle is None:
            raise HTTPException(404, "entry bundle not available at that width")
        body = bundle
    else:
        with inst.store.engine.connect() as c:
            data = c.execute(
                select(s.tiles.c.data).where(
                    s.tiles.c.level == coord.level, s.tiles.c.idx == coord.index
                )
            ).scalar_one_or_none()
        if data is None or len(data) < 32 * coord.width:
            raise HTTPException(404, "tile not available at that width")
        body = bytes(data[: 32 * coord.width])
    cache = IMMUTABLE if coord.width == TILE_WIDTH else "no-cache"
    return Response(body, media_type="application/octet-stream", headers={"Cache-Control": cache})


@router.post("/api/v1/entries", tags=["log"], summary="Submit signed entries (NDJSON)")
async def post_entries(request: Request) -> JSONResponse:
    """Append a batch of signed entries; all are checked before any is stored."""
    body = await request.body()
    if len(body) > MAX_BODY:
        raise HTTPException(413, f"at most {MAX_BODY} bytes per submission")
    entries: list[Entry] = []
    for n, line in enumerate(body.split(b"\n")):
        if not line.strip():
            continue
        try:
            entries.append(Entry.from_bytes(line))
        except EntryError as exc:
            return _error(
                422, f"entry {len(entries)} (line {n + 1}) rejected: {exc}", index=len(entries)
            )
    if not entries:
        return _error(400, "no entries in the request body")
    inst = _inst(request)
    try:
        with inst.store.transaction() as conn:
            acc = submit(inst.store, conn, entries)
            note = inst.checkpoint(conn)
    except SubmissionError as exc:
        return _error(422, str(exc), index=exc.index)
    return JSONResponse(
        {
            "first_leaf": acc.first_leaf,
            "tree_size": acc.tree_size,
            "leaves": acc.leaves,
            "checkpoint": note,
        }
    )


@router.get("/api/v1/stakeholders", tags=["log"], summary="Registered stakeholders and keys")
def get_stakeholders(request: Request) -> list[dict[str, Any]]:
    inst = _inst(request)
    with inst.store.engine.connect() as c:
        people = [dict(r) for r in c.execute(select(s.stakeholders)).mappings()]
        keys = [
            dict(r)
            for r in c.execute(
                select(
                    s.keys.c.key_id,
                    s.keys.c.stakeholder,
                    s.keys.c.vkey,
                    s.keys.c.valid_from,
                    s.keys.c.valid_until,
                    s.keys.c.revoked_at,
                    s.keys.c.demo,
                    s.keys.c.leaf_index,
                )
            ).mappings()
        ]
    for p in people:
        p["keys"] = [k for k in keys if k["stakeholder"] == p["id"]]
    return people


@router.get(
    "/api/v1/stakeholders/{sid}/next-seq",
    tags=["log"],
    summary="The sequence number the stakeholder's next entry must carry",
)
def get_next_seq(sid: str, request: Request) -> dict[str, Any]:
    inst = _inst(request)
    with inst.store.engine.connect() as c:
        return {"stakeholder": sid, "next_seq": inst.store.next_seqs(c, [sid])[sid]}


@router.post(
    "/api/v1/cosignatures",
    tags=["log"],
    summary="Deliver a witness cosignature for a checkpoint of this log",
)
async def post_cosignature(request: Request) -> JSONResponse:
    text = (await request.body()).decode("utf-8", errors="replace")
    inst = _inst(request)
    try:
        note = parse_note(text)
    except NoteError as exc:
        return _error(400, f"malformed note: {exc}")
    try:
        cp = Checkpoint.from_text(note.text)
    except CheckpointError as exc:
        return _error(400, f"not a checkpoint: {exc}")
    with inst.store.transaction() as conn:
        row = conn.execute(
            select(s.checkpoints.c.size, s.checkpoints.c.note).where(
                s.checkpoints.c.size == cp.size
            )
        ).first()
        if row is None or parse_note(row[1]).text != note.text:
            return _error(404, "this log never signed that checkpoint")
        witnesses = _witness_verifiers(conn)
        added = []
        for sig in note.signatures:
            v = witnesses.get((sig.name, sig.key_id))
            if v is None:
                continue
            if not v.verify(note.text.encode(), sig.signature):
                return _error(403, f"cosignature by {sig.name} does not verify")
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
                        created_at=_now(),
                    )
                )
                added.append(sig.name)
        if not added and not any((sg.name, sg.key_id) in witnesses for sg in note.signatures):
            return _error(403, "no cosignature from a registered witness key")
    return JSONResponse({"size": row[0], "added": added})


def _witness_verifiers(conn: Any) -> dict[tuple[str, bytes], CosignatureV1Verifier]:
    """Cosignature verifiers of the currently valid keys of witness stakeholders."""
    rows = conn.execute(
        select(s.keys.c.vkey)
        .join(s.stakeholders, s.stakeholders.c.id == s.keys.c.stakeholder)
        .where(s.stakeholders.c.kind == "witness", s.keys.c.revoked_at.is_(None))
    )
    out = {}
    for (vkey,) in rows:
        vk = parse_vkey(vkey)
        if vk.alg == ALG_COSIGNATURE_V1:
            v = CosignatureV1Verifier(vk.name, vk.public_key)
            out[(v.name, v.key_id)] = v
    return out


def _now():
    from datetime import UTC, datetime

    return datetime.now(UTC)


def _error(status: int, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": message, **extra}, status_code=status)
