"""Self-check of a store: do the entries, the hash tiles, the checkpoint and the indexes agree?

Used after a crash (and by the crash tests): everything is recomputed from the leaf bytes
in ``entries`` — leaf hashes, every stored tile (RFC 9162 §2.1.1 hashing, c2sp.org/
tlog-tiles layout), the root — and compared with what is stored. The offline ``audit``
does the same from a static mirror, without a database.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import func, select

from seawitness.store import schema as s
from seawitness.store.store import Store
from seawitness.tlog.checkpoint import Checkpoint
from seawitness.tlog.merkle import MerkleState
from seawitness.tlog.note import parse_note
from seawitness.tlog.tiles import tile_hashes_from_leaves, tile_width, tiles_for_size


def check(store: Store) -> list[str]:
    """Return the problems found (an empty list means the store is consistent)."""
    problems: list[str] = []
    with store.engine.connect() as c:
        rows = c.execute(select(s.entries.c.leaf_index, s.entries.c.data,
                                s.entries.c.leaf_hash, s.entries.c.kind)
                         .order_by(s.entries.c.leaf_index)).all()
        leaf_hashes = []
        kinds = {"measurement": 0, "correction": 0}
        for i, (index, data, stored_hash, kind) in enumerate(rows):
            if index != i:
                problems.append(f"leaf indexes have a gap: expected {i}, found {index}")
                break
            h = hashlib.sha256(b"\x00" + bytes(data)).digest()
            if h != bytes(stored_hash):
                problems.append(f"leaf {i}: stored leaf hash does not match its data")
            leaf_hashes.append(h)
            if kind in kinds:
                kinds[kind] += 1
        size = len(leaf_hashes)
        stored = {(r[0], r[1]): bytes(r[2]) for r in c.execute(
            select(s.tiles.c.level, s.tiles.c.idx, s.tiles.c.data))}
        expected = set()
        for coord in tiles_for_size(size):
            expected.add((coord.level, coord.index))
            want = tile_hashes_from_leaves(coord.level, coord.index, coord.width, leaf_hashes)
            got = stored.get((coord.level, coord.index))
            if got is None:
                problems.append(f"tile {coord.path} is missing")
            elif got != want:
                problems.append(f"tile {coord.path} does not match the entries "
                                f"(stored width {len(got) // 32}, "
                                f"expected {tile_width(coord.level, coord.index, size)})")
        for extra in sorted(set(stored) - expected):
            problems.append(f"tile {extra} is stored but not part of a tree of size {size}")
        state = MerkleState()
        state.append_many(leaf_hashes)
        note = c.execute(select(s.checkpoints.c.note).order_by(
            s.checkpoints.c.size.desc()).limit(1)).scalar_one_or_none()
        if note is None:
            if size:
                problems.append("entries exist but no checkpoint was signed")
        else:
            cp = Checkpoint.from_text(parse_note(note).text)
            if cp.size != size:
                problems.append(f"latest checkpoint is for size {cp.size}, log has {size}")
            elif cp.root_hash != state.root():
                problems.append("latest checkpoint's root does not match the entries")
        n_rows = c.execute(select(func.count()).select_from(s.measurements)).scalar_one()
        if n_rows != kinds["measurement"] + kinds["correction"]:
            problems.append(f"{n_rows} measurement rows for {kinds['measurement']} "
                            f"measurement and {kinds['correction']} correction entries")
        n_heads = c.execute(select(func.count()).select_from(s.heads)).scalar_one()
        n_series = c.execute(select(func.count(func.distinct(s.measurements.c.series_key)))
                             ).scalar_one()
        if n_heads != n_series:
            problems.append(f"{n_heads} series heads for {n_series} series")
    return problems
