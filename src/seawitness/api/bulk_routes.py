"""The bulk files over HTTP: their list, their checksums and the files themselves.

``seawitness bulk`` writes them (:mod:`seawitness.export.bulk`); this module only sends
what is finished. A file is named by its checkpoint, so its bytes never change: it is
sent with a strong ``ETag`` (its SHA-256), ``Cache-Control: immutable``, its digest in
``Repr-Digest`` (RFC 9530) and byte ranges, so a download cut half-way resumes where it
stopped. The whole-dataset download (``/api/v1/measurements?format=csv`` or
``parquet`` with no filter) redirects here when a file of the current checkpoint exists
(:func:`seawitness.api.routes.measurements`).
"""

from __future__ import annotations

import base64
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import FileResponse, PlainTextResponse

from seawitness.api.tlog_routes import IMMUTABLE
from seawitness.export.bulk import BulkFile, sha256sums
from seawitness.service import NotFound, Service

__all__ = ["router", "url_of"]

router = APIRouter(prefix="/api/v1", tags=["data"])

_ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}


def _service(request: Request) -> Service:
    svc: Service = request.app.state.service
    return svc


def url_of(bf: BulkFile) -> str:
    """The path the file is served at."""
    return f"/api/v1/bulk/{bf.name}"


@router.get("/bulk", summary="The bulk files: the whole current dataset per checkpoint")
def bulk_list(request: Request) -> dict[str, Any]:
    """Every finished bulk file, newest checkpoint first: its URL, format, the checkpoint
    it holds (tree size, root hash, signed note), rows, bytes and SHA-256. Empty when
    the instance builds none (``seawitness bulk`` builds them)."""
    base = str(request.base_url).rstrip("/")
    return {
        "files": [
            {**bf.to_dict(), "url": base + url_of(bf)} for bf in _service(request).bulk_files()
        ]
    }


@router.get(
    "/bulk/SHA256SUMS",
    summary="Checksums of the bulk files, for sha256sum --check",
    response_class=PlainTextResponse,
)
def bulk_sums(request: Request) -> PlainTextResponse:
    """One line per file: its SHA-256 and its name, as ``sha256sum`` writes them."""
    return PlainTextResponse(sha256sums(_service(request).bulk_files()))


@router.head("/bulk/{name}", include_in_schema=False)  # its size and digest, no body
@router.get(
    "/bulk/{name}",
    summary="One bulk file",
    response_class=FileResponse,
    responses={
        200: {
            "description": "The file (CSV or Parquet); byte ranges are served",
            "content": {"text/csv": {}, "application/vnd.apache.parquet": {}},
        },
        404: {"description": "No finished bulk file of that name", "content": _ERROR},
    },
)
def bulk_file(
    request: Request, name: Annotated[str, Path(description="A name from /api/v1/bulk")]
) -> FileResponse:
    """A finished bulk file, sent as it is on disk."""
    svc = _service(request)
    for bf in svc.bulk_files():
        if bf.name == name and svc.bulk_dir is not None:
            digest = base64.b64encode(bytes.fromhex(bf.sha256)).decode()
            return FileResponse(
                svc.bulk_dir / bf.name,
                media_type=bf.media_type,
                filename=bf.name,
                headers={
                    "ETag": f'"{bf.sha256}"',
                    "Cache-Control": IMMUTABLE,
                    "Repr-Digest": f"sha-256=:{digest}:",
                    "X-Seawitness-Tree-Size": str(bf.tree_size),
                },
            )
    raise NotFound(f"no bulk file named {name!r}: GET /api/v1/bulk lists them")
