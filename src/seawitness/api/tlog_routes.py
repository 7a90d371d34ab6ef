"""HTTP face of the log's read paths: C2SP tlog-tiles, the keys, the registry.

Read paths follow c2sp.org/tlog-tiles so that any tiles client (and ``seawitness audit``)
can read the log: ``GET /checkpoint`` (the latest checkpoint with every cosignature
received for it), ``GET /tile/<L>/<N>[.p/<W>]`` and ``GET /tile/entries/<N>[.p/<W>]``.
Full tiles never change and are served as immutable. ``GET /log.vkey`` and
``GET /admin.vkey`` serve the log's and the administrator's verifier keys, as a static
mirror holds them, so ``seawitness audit http://host/`` reads a running server as it
reads a mirror. (Trusting keys served by the server you audit is trust on first use:
pin them with ``--trust-log-key`` and ``--admin-vkey`` once you have them from a second
channel.) The write paths are in :mod:`seawitness.api.writes`.

"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import PlainTextResponse, Response
from sqlalchemy import select

from seawitness.instance import Instance
from seawitness.store import schema as s
from seawitness.store.log import bundle_at_width
from seawitness.tlog.tiles import (
    ENTRIES_LEVEL,
    TILE_WIDTH,
    TileError,
    parse_tile_path,
)

router = APIRouter()

IMMUTABLE = "public, max-age=31536000, immutable"

_ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "Not (yet) in this log", "content": _ERROR},
}
_TILE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The tile's hashes (32 bytes each) or the bundle's entries",
        "content": {"application/octet-stream": {"schema": {"type": "string"}}},
    },
    404: {"description": "A malformed path, or a tile the log does not hold", "content": _ERROR},
}
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
    responses=_NOT_FOUND,
)
def get_checkpoint(request: Request) -> Response:
    note = cosigned_checkpoint(_inst(request))
    if note is None:
        raise HTTPException(404, "the log has no checkpoint yet")
    return PlainTextResponse(note, headers={"Cache-Control": "no-cache"})


@router.get(
    "/tile/{path:path}",
    tags=["log"],
    summary="Hash tile or entry bundle (c2sp.org/tlog-tiles)",
    response_class=Response,
    responses=_TILE,
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


def _key_file(request: Request, meta: str) -> Response:
    vkey = _inst(request).store.get_meta(meta)
    if vkey is None:
        raise HTTPException(404, f"this log has no {meta}")
    return PlainTextResponse(vkey + "\n", headers={"Cache-Control": "public, max-age=3600"})


@router.get(
    "/log.vkey",
    response_class=PlainTextResponse,
    tags=["log"],
    summary="The log's checkpoint verifier key (c2sp.org/signed-note)",
    responses=_NOT_FOUND,
)
def get_log_vkey(request: Request) -> Response:
    return _key_file(request, "log_vkey")


@router.get(
    "/admin.vkey",
    response_class=PlainTextResponse,
    tags=["log"],
    summary="The administrator's verifier key: the trust anchor of the registry",
    responses=_NOT_FOUND,
)
def get_admin_vkey(request: Request) -> Response:
    return _key_file(request, "admin_vkey")


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
