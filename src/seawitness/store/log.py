"""The log, persisted: entry bundles and hash tiles written with the rows, checkpoints signed.

The pure algorithms live in :mod:`seawitness.tlog`; this module only reads and writes
them inside the caller's transaction, so that entries, tiles and the checkpoint can never
disagree: either the whole append (rows, leaves, tiles, checkpoint) commits or nothing
does.

The log is stored the way it is published (c2sp.org/tlog-tiles): leaf bytes in entry
bundles of 256 (``entry_bundles``), hashes in tiles (``tiles``), each row replaced by a
wider one while it is partial. One row per 256 leaves rather than one per leaf is what
makes an append cost little more than hashing (see ``bench/bench_log.py``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, insert, select

from seawitness.errors import StoreError
from seawitness.model.entry import Entry
from seawitness.store import schema as s
from seawitness.store.bulk import insert_rows
from seawitness.tlog.checkpoint import Checkpoint
from seawitness.tlog.checkpoint import sign_checkpoint as sign_checkpoint_note
from seawitness.tlog.merkle import verify_consistency
from seawitness.tlog.tiles import (
    TILE_WIDTH,
    ReadEntryBundle,
    ReadTile,
    TileHashReader,
    entry_bundle_prefix,
    parse_entry_bundle,
    updated_entry_bundles,
    updated_tiles,
)
from seawitness.trust.keyring import KeyPair

_LEAF_PREFIX = b"\x00"


class LogError(StoreError):
    """The persisted log is inconsistent or would become so."""


def _one(conn: Connection, sql: str, params: tuple[Any, ...] = ()) -> Any:
    """First row of ``sql`` (``?`` placeholders) on the transaction's own DB-API
    connection, or None. The append path runs a handful of fixed one-row statements per
    batch, where SQLAlchemy's statement handling costs more than the database does."""
    cur, sql = _cursor(conn, sql)
    try:
        cur.execute(sql, params)
        return cur.fetchone()
    finally:
        cur.close()


def _many(conn: Connection, sql: str, params: list[tuple[Any, ...]]) -> None:
    """``executemany`` of ``sql`` (``?`` placeholders), as :func:`_one`."""
    cur, sql = _cursor(conn, sql)
    try:
        cur.executemany(sql, params)
    finally:
        cur.close()


def _cursor(conn: Connection, sql: str) -> tuple[Any, str]:
    """A DB-API cursor of ``conn`` and ``sql`` in the driver's placeholder style."""
    if conn.dialect.paramstyle != "qmark":
        sql = sql.replace("?", "%s")
    return conn.connection.driver_connection.cursor(), sql  # type: ignore[union-attr]


def tree_size(conn: Connection) -> int:
    """Number of leaves: read off the last entry bundle (one primary-key lookup)."""
    row = _one(conn, "SELECT idx, width FROM entry_bundles ORDER BY idx DESC LIMIT 1")
    return 0 if row is None else int(row[0]) * TILE_WIDTH + int(row[1])


def tile_reader(conn: Connection) -> ReadTile:
    """``read_tile`` over the ``tiles`` table (which keeps each tile at its widest)."""

    def read(level: int, index: int, width: int) -> bytes:
        row = _one(conn, "SELECT data FROM tiles WHERE level = ? AND idx = ?", (level, index))
        data = None if row is None else row[0]
        if data is None or len(data) < 32 * width:
            raise LogError(f"tile {level}/{index} of width {width} is missing from the store")
        return bytes(data)

    return read


def read_bundle(conn: Connection, index: int) -> bytes | None:
    """Entry bundle ``index`` at its widest, or None."""
    row = _one(conn, "SELECT data FROM entry_bundles WHERE idx = ?", (index,))
    return None if row is None else bytes(row[0])


def bundle_at_width(conn: Connection, index: int, width: int) -> bytes | None:
    """Entry bundle ``index`` as a mirror serves it at ``width`` entries, or None if the
    log does not hold that many yet."""
    row = conn.execute(
        select(s.entry_bundles.c.width, s.entry_bundles.c.data).where(
            s.entry_bundles.c.idx == index
        )
    ).first()
    if row is None or row[0] < width:
        return None
    return entry_bundle_prefix(bytes(row[1]), width)


def leaves_range(conn: Connection, start: int, end: int) -> list[bytes]:
    """Leaf bytes of leaves ``[start, end)`` (fewer if the log is smaller)."""
    if end <= start:
        return []
    rows = conn.execute(
        select(s.entry_bundles.c.idx, s.entry_bundles.c.data)
        .where(
            s.entry_bundles.c.idx >= start // TILE_WIDTH,
            s.entry_bundles.c.idx <= (end - 1) // TILE_WIDTH,
        )
        .order_by(s.entry_bundles.c.idx)
    )
    out: list[bytes] = []
    for idx, data in rows:
        base = int(idx) * TILE_WIDTH
        for offset, leaf in enumerate(parse_entry_bundle(bytes(data))):
            if start <= base + offset < end:
                out.append(leaf)
    return out


def leaves_at(conn: Connection, leaves: Iterable[int]) -> dict[int, bytes]:
    """Leaf bytes of the given leaves that exist, by leaf index (each bundle read once)."""
    wanted: dict[int, list[int]] = {}
    for leaf in leaves:
        wanted.setdefault(leaf // TILE_WIDTH, []).append(leaf)
    out: dict[int, bytes] = {}
    ids = sorted(wanted)
    for i in range(0, len(ids), 500):  # keep the IN list short
        rows = conn.execute(
            select(s.entry_bundles.c.idx, s.entry_bundles.c.data).where(
                s.entry_bundles.c.idx.in_(ids[i : i + 500])
            )
        )
        for idx, data in rows:
            bundle = parse_entry_bundle(bytes(data))
            for leaf in wanted[int(idx)]:
                offset = leaf - int(idx) * TILE_WIDTH
                if offset < len(bundle):
                    out[leaf] = bundle[offset]
    return out


def append_leaves(conn: Connection, datas: Sequence[bytes]) -> int:
    """Append leaves (entry bytes): their entry bundles and hash tiles.

    Returns the first new leaf index. The caller writes whatever it indexes about the
    leaves (:func:`index_entries`) in the same transaction.
    """
    first = tree_size(conn)
    if not datas:
        return first
    sha, prefix = hashlib.sha256, _LEAF_PREFIX
    hashes = [sha(prefix + d).digest() for d in datas]
    bundles = updated_entry_bundles(first, datas, _bundle_reader(conn))
    # A partial bundle or tile is replaced by its wider self.
    if first % TILE_WIDTH:
        _many(conn, "DELETE FROM entry_bundles WHERE idx = ?", [(first // TILE_WIDTH,)])
    insert_rows(
        conn, s.entry_bundles, [{"idx": b.index, "width": b.width, "data": b.data} for b in bundles]
    )
    changed = updated_tiles(first, hashes, tile_reader(conn))
    # Only the first tile of each level can exist already (the old partial one).
    grown: dict[int, int] = {}
    for t in changed:
        grown.setdefault(t.level, t.index)
    _many(conn, "DELETE FROM tiles WHERE level = ? AND idx = ?", list(grown.items()))
    insert_rows(
        conn,
        s.tiles,
        [{"level": t.level, "idx": t.index, "width": t.width, "data": t.data} for t in changed],
    )
    return first


def index_entries(
    conn: Connection, first: int, entries: Sequence[Entry], record_ids: Sequence[str]
) -> None:
    """Write the ``entries`` rows (who submitted each leaf, and its record id)."""
    insert_rows(
        conn,
        s.entries,
        [
            {
                "leaf_index": first + i,
                "kind": e.kind,
                "submitter": e.submitter,
                "key_id": e.key_id,
                "seq": e.seq,
                "submitted_at": e.submitted_at,
                "record_id": rid,
            }
            for i, (e, rid) in enumerate(zip(entries, record_ids, strict=True))
        ],
    )


def _bundle_reader(conn: Connection) -> ReadEntryBundle:
    def read(index: int, width: int) -> bytes:
        data = read_bundle(conn, index)
        if data is None:
            raise LogError(f"entry bundle {index} of width {width} is missing from the store")
        return data

    return read


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
