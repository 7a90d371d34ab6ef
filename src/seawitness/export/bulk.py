"""Bulk files: the whole current dataset as CSV and Parquet, built once per checkpoint.

A whole-table download streamed from the index costs the server a core for minutes at
ten million results; the same bytes written once to a file cost it nothing more than
sending a file. So, like the bulk downloads of other open-data services, an instance
can keep pre-built files of its whole current dataset (``seawitness bulk``, run daily
by cron or by hand), and the API redirects a whole-dataset request to the file when
one exists for the current checkpoint.

Each file is **named by the checkpoint it holds**: ``measurements-<tree size>-<first 8
hex digits of the root hash>.csv``, so two files of the same name hold the same bytes
and anyone can tell which state of the log a file shows (and check it: every row's
``leaf_index`` is in the tree of that size). The rows are read as a sorted scan of the
table (:func:`seawitness.store.select.sorted_scan`), through one snapshot
(:func:`seawitness.store.select.snapshot`) together with the tree size, whatever is
submitted meanwhile, and are the bytes the streamed download of the same checkpoint
sends (:mod:`seawitness.export.stream`; ``tests/test_bulk.py`` compares them).

A file is written beside its final name (a temporary file per build, so two builds at
once cannot mix their bytes), flushed to disk, then renamed; its description
(``<file>.json``: checkpoint, rows, bytes, SHA-256) is written the same way afterwards.
A file without its description is unfinished and is never listed, so a crash half-way
leaves nothing that could be served; a later build deletes what it left behind.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from seawitness.errors import StoreError
from seawitness.export.stream import Progress, csv_chunks, parquet_chunks
from seawitness.model.times import format_utc
from seawitness.store.log import latest_checkpoint, tree_size
from seawitness.store.select import count_statement, snapshot
from seawitness.store.store import Query, Store

__all__ = ["FORMATS", "BulkFile", "build", "find", "listing", "prune", "sha256sums"]

#: format -> (file extension, media type, writer)
FORMATS: dict[str, tuple[str, str, Callable[..., Iterator[bytes]]]] = {
    "csv": ("csv", "text/csv; charset=utf-8", csv_chunks),
    "parquet": ("parquet", "application/vnd.apache.parquet", parquet_chunks),
}
#: A temporary file untouched for this long is from a build that died (10 million results
#: take minutes to write).
STALE_S = 24 * 3600
#: The root hash of the empty tree (RFC 9162 §2.1.1: the hash of an empty string).
_EMPTY_ROOT = hashlib.sha256(b"").hexdigest()


@dataclass(frozen=True)
class BulkFile:
    """One finished bulk file, as its description says."""

    name: str
    format: str
    media_type: str
    tree_size: int
    root_hash: str  # hex
    checkpoint: str | None  # the signed checkpoint note at that size, as served
    rows: int
    bytes: int
    sha256: str  # hex digest of the file's bytes
    built_at: str  # ISO 8601 UTC

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _state(conn: Connection) -> tuple[int, str, str | None]:
    """Tree size, root hash (hex) and checkpoint note of the snapshot ``conn`` reads."""
    size = tree_size(conn)
    cp = latest_checkpoint(conn)
    if cp is not None and cp[0] == size:
        return size, cp[1].hex(), cp[2]
    if size == 0:
        return 0, _EMPTY_ROOT, None
    # the checkpoint is written in the transaction that appends the leaves
    raise StoreError(f"no checkpoint at the log's size {size}: the database is inconsistent")


def _write(path: Path, chunks: Iterator[bytes]) -> tuple[int, str]:
    """Write ``chunks`` to ``path`` by way of a temporary file of its own (two builds at
    once never write into one file); return bytes and SHA-256."""
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    tmp = Path(name)
    digest = hashlib.sha256()
    n = 0
    try:
        with os.fdopen(fd, "wb") as f:
            for chunk in chunks:
                f.write(chunk)
                digest.update(chunk)
                n += len(chunk)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return n, digest.hexdigest()


def _describe(folder: Path, bf: BulkFile) -> None:
    path = folder / f"{bf.name}.json"
    text = json.dumps(bf.to_dict(), indent=1, ensure_ascii=False)
    _write(path, iter([text.encode("utf-8")]))


def _sweep(folder: Path, older_than_s: float = STALE_S) -> None:
    """Delete what a build stopped by a crash left behind (never a finished file)."""
    now = time.time()
    for tmp in folder.glob(".measurements-*.partial"):
        try:
            if now - tmp.stat().st_mtime > older_than_s:
                tmp.unlink()
        except FileNotFoundError:  # another build finished or swept it meanwhile
            pass


def build(
    store: Store,
    folder: Path,
    formats: tuple[str, ...] = ("csv", "parquet"),
    *,
    progress: Progress = None,
    total: Callable[[int], None] | None = None,
) -> list[BulkFile]:
    """Write the bulk files of the current checkpoint into ``folder`` (kept if already
    there) and return them. ``total`` is told the number of rows per file first, and
    ``progress`` the rows of each batch as it is written."""
    for fmt in formats:
        if fmt not in FORMATS:
            raise ValueError(f"unknown bulk format {fmt!r}: expected one of {sorted(FORMATS)}")
    folder.mkdir(parents=True, exist_ok=True)
    _sweep(folder)
    out: list[BulkFile] = []
    with snapshot(store.engine, scan=True) as conn:
        size, root, note = _state(conn)
        rows: int | None = None
        for fmt in formats:
            ext, media, writer = FORMATS[fmt]
            name = f"measurements-{size}-{root[:8]}.{ext}"
            done = find(folder, fmt, size)
            if done is not None and done.name == name:
                out.append(done)
                continue
            if rows is None:
                rows = int(conn.execute(count_statement(Query())).scalar_one())
            if total:
                total(rows)
            chunks = writer(conn, Query(), progress=progress, scan=True)
            nbytes, sha = _write(folder / name, chunks)
            bf = BulkFile(
                name=name,
                format=fmt,
                media_type=media,
                tree_size=size,
                root_hash=root,
                checkpoint=note,
                rows=rows,
                bytes=nbytes,
                sha256=sha,
                built_at=format_utc(datetime.now(UTC)),
            )
            _describe(folder, bf)
            out.append(bf)
    return out


def listing(folder: Path | None) -> list[BulkFile]:
    """The finished bulk files in ``folder``, newest checkpoint first."""
    if folder is None or not folder.is_dir():
        return []
    out = []
    for desc in folder.glob("measurements-*.json"):
        try:
            bf = BulkFile(**json.loads(desc.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError):
            continue  # not one of ours, or cut short: never listed
        data = folder / bf.name
        if desc.name == f"{bf.name}.json" and data.is_file() and data.stat().st_size == bf.bytes:
            out.append(bf)
    return sorted(out, key=lambda b: (-b.tree_size, b.format))


def find(folder: Path | None, fmt: str, tree_size: int) -> BulkFile | None:
    """The finished bulk file of ``fmt`` at exactly ``tree_size``, if there is one."""
    for bf in listing(folder):
        if bf.format == fmt and bf.tree_size == tree_size:
            return bf
    return None


def prune(folder: Path, keep: int) -> list[str]:
    """Delete the files of all but the ``keep`` newest checkpoints; return their names."""
    files = listing(folder)
    sizes = sorted({b.tree_size for b in files}, reverse=True)[: max(keep, 0)]
    gone = []
    for bf in files:
        if bf.tree_size not in sizes:
            (folder / f"{bf.name}.json").unlink(missing_ok=True)  # unlisted first
            (folder / bf.name).unlink(missing_ok=True)
            gone.append(bf.name)
    return gone


def sha256sums(files: list[BulkFile]) -> str:
    """The files' digests in the format ``sha256sum --check`` reads."""
    return "".join(f"{b.sha256}  {b.name}\n" for b in files)
