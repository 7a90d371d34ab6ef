"""Self-check of a store: do the entries, the hash tiles, the checkpoint and the indexes agree?

Used after a crash (and by the crash tests): everything is recomputed from the leaf bytes
in ``entry_bundles`` — leaf hashes, every stored tile (RFC 9162 §2.1.1 hashing, c2sp.org/
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
from seawitness.tlog.tiles import (
    TILE_WIDTH,
    TileError,
    parse_entry_bundle,
    tile_hashes_from_leaves,
    tile_width,
    tiles_for_size,
)


def check(store: Store) -> list[str]:
    """Return the problems found (an empty list means the store is consistent)."""
    problems: list[str] = []
    with store.engine.connect() as c:
        leaf_hashes: list[bytes] = []
        sha = hashlib.sha256
        bundles = c.execute(
            select(s.entry_bundles.c.idx, s.entry_bundles.c.width, s.entry_bundles.c.data).order_by(
                s.entry_bundles.c.idx
            )
        )
        for i, (index, width, data) in enumerate(bundles):
            if index != i:
                problems.append(f"entry bundles have a gap: expected {i}, found {index}")
                break
            if len(leaf_hashes) != i * TILE_WIDTH:
                problems.append(f"entry bundle {i - 1} is partial but not the last one")
                break
            try:
                leaves = parse_entry_bundle(bytes(data), width)
            except TileError as exc:
                problems.append(f"entry bundle {i}: {exc}")
                break
            leaf_hashes.extend(sha(b"\x00" + leaf).digest() for leaf in leaves)
        kinds: dict[str, int] = {
            kind: int(n)
            for kind, n in c.execute(
                select(s.entries.c.kind, func.count()).group_by(s.entries.c.kind)
            )
        }
        n_indexed, last = c.execute(
            select(func.count(), func.max(s.entries.c.leaf_index)).select_from(s.entries)
        ).one()
        if n_indexed != len(leaf_hashes) or (n_indexed and last != n_indexed - 1):
            problems.append(
                f"{n_indexed} entries rows (last leaf {last}) for {len(leaf_hashes)} leaves"
            )
        size = len(leaf_hashes)
        stored = {
            (r[0], r[1]): bytes(r[2])
            for r in c.execute(select(s.tiles.c.level, s.tiles.c.idx, s.tiles.c.data))
        }
        expected = set()
        for coord in tiles_for_size(size):
            expected.add((coord.level, coord.index))
            want = tile_hashes_from_leaves(coord.level, coord.index, coord.width, leaf_hashes)
            got = stored.get((coord.level, coord.index))
            if got is None:
                problems.append(f"tile {coord.path} is missing")
            elif len(got) != len(want):
                problems.append(
                    f"tile {coord.path} does not match the entries "
                    f"(stored width {len(got) // 32}, "
                    f"expected {tile_width(coord.level, coord.index, size)})"
                )
            elif got != want:
                bad = next(i for i in range(0, len(got), 32) if got[i : i + 32] != want[i : i + 32])
                problems.append(
                    f"tile {coord.path} does not match the entries: hash {bad // 32} differs "
                    "from the one recomputed from the stored leaves"
                )
        for extra in sorted(set(stored) - expected):
            problems.append(f"tile {extra} is stored but not part of a tree of size {size}")
        state = MerkleState()
        state.append_many(leaf_hashes)
        note = c.execute(
            select(s.checkpoints.c.note).order_by(s.checkpoints.c.size.desc()).limit(1)
        ).scalar_one_or_none()
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
        n_m, n_c = kinds.get("measurement", 0), kinds.get("correction", 0)
        if n_rows != n_m + n_c:
            problems.append(
                f"{n_rows} measurement rows for {n_m} measurement and {n_c} correction entries"
            )
        n_heads = c.execute(select(func.count()).select_from(s.heads)).scalar_one()
        n_series = c.execute(
            select(func.count(func.distinct(s.measurements.c.series_key)))
        ).scalar_one()
        if n_heads != n_series:
            problems.append(f"{n_heads} series heads for {n_series} series")
    return problems
