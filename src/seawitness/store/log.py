"""The log, persisted: leaves and hash tiles written with the rows, checkpoints signed.

The pure algorithms live in :mod:`seawitness.tlog`; this module only reads and writes
them inside the caller's transaction, so that entries, tiles and the checkpoint can never
disagree: either the whole append (rows, leaves, tiles, checkpoint) commits or nothing
does.

Entry bundles (``tile/entries/N``) are not stored a second time: the ``entries`` table
holds every leaf's bytes, committed with the hash tiles, and bundles are cut from it when
they are served or published.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import Connection, and_, delete, func, insert, or_, select

from seawitness.keyring import KeyPair
from seawitness.model.entry import Entry
from seawitness.store import schema as s
from seawitness.store.bulk import insert_rows
from seawitness.tlog.checkpoint import Checkpoint
from seawitness.tlog.checkpoint import sign_checkpoint as sign_checkpoint_note
from seawitness.tlog.merkle import verify_consistency
from seawitness.tlog.tiles import ReadTile, TileHashReader, updated_tiles

_LEAF_PREFIX = b"\x00"


class LogError(RuntimeError):
    """The persisted log is inconsistent or would become so."""


def tree_size(conn: Connection) -> int:
    got = conn.execute(select(func.max(s.entries.c.leaf_index))).scalar_one_or_none()
    return 0 if got is None else int(got) + 1


def tile_reader(conn: Connection) -> ReadTile:
    """``read_tile`` over the ``tiles`` table (which keeps each tile at its widest)."""

    def read(level: int, index: int, width: int) -> bytes:
        data = conn.execute(
            select(s.tiles.c.data).where(s.tiles.c.level == level, s.tiles.c.idx == index)
        ).scalar_one_or_none()
        if data is None or len(data) < 32 * width:
            raise LogError(f"tile {level}/{index} of width {width} is missing from the store")
        return bytes(data)

    return read


def append_leaves(conn: Connection, datas: Sequence[bytes], entries: Sequence[Entry]) -> int:
    """Append leaves (entry bytes) and their tiles; return the first new leaf index."""
    first = tree_size(conn)
    if not datas:
        return first
    sha = hashlib.sha256
    hashes = [sha(_LEAF_PREFIX + d).digest() for d in datas]
    insert_rows(
        conn,
        s.entries,
        [
            {
                "leaf_index": first + i,
                "kind": e.kind,
                "data": d,
                "leaf_hash": h,
                "submitter": e.submitter,
                "key_id": e.key_id,
                "seq": e.seq,
                "submitted_at": e.submitted_at,
                "record_id": e.record_id,
            }
            for i, (d, h, e) in enumerate(zip(datas, hashes, entries, strict=True))
        ],
    )
    changed = updated_tiles(first, hashes, tile_reader(conn))
    # Only the first tile of each level can exist already (the old partial one).
    grown: dict[int, int] = {}
    for t in changed:
        grown.setdefault(t.level, t.index)
    conn.execute(
        delete(s.tiles).where(
            or_(
                *[
                    and_(s.tiles.c.level == level, s.tiles.c.idx == index)
                    for level, index in grown.items()
                ]
            )
        )
    )
    conn.execute(
        insert(s.tiles),
        [{"level": t.level, "idx": t.index, "width": t.width, "data": t.data} for t in changed],
    )
    return first


def root_hash(conn: Connection, size: int) -> bytes:
    return TileHashReader(size, tile_reader(conn)).root_hash()


def latest_checkpoint(conn: Connection) -> tuple[int, bytes, str] | None:
    row = conn.execute(
        select(s.checkpoints.c.size, s.checkpoints.c.root_hash, s.checkpoints.c.note)
        .order_by(s.checkpoints.c.size.desc())
        .limit(1)
    ).first()
    return None if row is None else (int(row[0]), bytes(row[1]), row[2])


def now() -> datetime:
    return datetime.now(UTC)


def sign_checkpoint(conn: Connection, origin: str, key: KeyPair) -> str:
    """Sign a checkpoint (c2sp.org/tlog-checkpoint) of the tree as it is in ``conn``.

    The root is recomputed from the stored tiles. The log never signs two inconsistent
    checkpoints: a smaller tree than the last checkpoint, or the same size with another
    root, raises :class:`LogError` (and the transaction rolls back); the same tree again
    returns the stored checkpoint instead of signing a second one.
    """
    size = tree_size(conn)
    root = root_hash(conn, size)
    last = latest_checkpoint(conn)
    if last is not None:
        last_size, last_root, last_note = last
        if size < last_size:
            raise LogError(f"tree shrank from {last_size} to {size}; refusing to sign")
        if size == last_size:
            if root != last_root:
                raise LogError(f"tree of size {size} has a new root; refusing to sign a fork")
            return last_note
        # The tiles must extend the last checkpoint's tree: check it, as a witness would.
        reader = TileHashReader(size, tile_reader(conn))
        verify_consistency(last_size, size, last_root, root, reader.consistency_proof(last_size))
    note = sign_checkpoint_note(Checkpoint(origin, size, root), key.signer)
    conn.execute(
        insert(s.checkpoints).values(size=size, root_hash=root, note=note, created_at=now())
    )
    return note
