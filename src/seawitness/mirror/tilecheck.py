"""Rebuild every hash tile of a tree from its leaf hashes and compare it with a mirror's.

c2sp.org/tlog-tiles "Merkle Tree": a full tile at level L, index N holds the 256 hashes of
the subtrees below it; partial tiles hold the rightmost ones. Recomputing each from the
entries (RFC 9162 §2.1.1 leaf and node hashes) and comparing byte for byte shows that the
published tiles are the tree of the published entries; the root they lead to must be the
checkpoint's (RFC 9162 §2.1).
"""

from __future__ import annotations

from seawitness.mirror.failure import AuditFailure
from seawitness.mirror.source import MirrorSource, SourceError
from seawitness.tlog.merkle import EMPTY_ROOT, HASH_SIZE, root_hash
from seawitness.tlog.tiles import TILE_WIDTH, TileHashReader, tile_path

__all__ = ["TileChecker"]


class TileChecker:
    """Rebuilds every hash tile from leaf hashes and compares it with the mirror's."""

    def __init__(self, tree_size: int, source: MirrorSource) -> None:
        self.tree_size = tree_size
        self.source = source
        self.rows: dict[int, bytearray] = {}
        self.full: dict[int, int] = {}
        """Per level, how many full tiles were completed."""
        self.kept: dict[tuple[int, int], bytes] = {}
        """Recomputed tiles above level 0 and the last level-0 tile, for the root."""
        self.checked = 0

    def level0(self, index: int, width: int, hashes: bytes, published: bytes | SourceError) -> None:
        """Compare level-0 tile ``index`` and carry its root upwards when it is full."""
        self._compare(0, index, width, hashes, published)
        self.full[0] = index + (width == TILE_WIDTH)
        if width == TILE_WIDTH:
            self._push(1, root_hash(_split(hashes)))
        else:
            self.kept[(0, index)] = hashes

    def _push(self, level: int, digest: bytes) -> None:
        row = self.rows.setdefault(level, bytearray())
        row += digest
        if len(row) == TILE_WIDTH * HASH_SIZE:
            index = self.full.get(level, 0)
            data = bytes(row)
            path = tile_path(level, index)
            self._compare(level, index, TILE_WIDTH, data, _read_or_error(self.source, path))
            self.kept[(level, index)] = data
            self.full[level] = index + 1
            row.clear()
            self._push(level + 1, root_hash(_split(data)))

    def finish(self) -> None:
        """Compare the partial tiles of levels above 0."""
        for level in sorted(self.rows):
            row = self.rows[level]
            if row:
                index, width = self.full.get(level, 0), len(row) // HASH_SIZE
                path = tile_path(level, index, width)
                self._compare(level, index, width, bytes(row), _read_or_error(self.source, path))
                self.kept[(level, index)] = bytes(row)

    def _compare(
        self, level: int, index: int, width: int, data: bytes, published: bytes | SourceError
    ) -> None:
        path = tile_path(level, index, width)
        if isinstance(published, SourceError):
            raise AuditFailure(published.reason, path=path)
        if published != data:
            first = _first_difference(data, published)
            raise AuditFailure(
                f"published hash tile differs from the one recomputed from the entries "
                f"(first at hash {first}, {len(published)} bytes published, "
                f"{len(data)} expected)",
                path=path,
            )
        self.checked += 1

    def root(self) -> bytes:
        """The tree root, from the recomputed tiles (RFC 9162 §2.1)."""
        if self.tree_size == 0:
            return EMPTY_ROOT

        def read(level: int, index: int, width: int) -> bytes:
            return self.kept[(level, index)]

        return TileHashReader(self.tree_size, read).root_hash()


def _split(hashes: bytes) -> list[bytes]:
    return [hashes[i : i + HASH_SIZE] for i in range(0, len(hashes), HASH_SIZE)]


def _first_difference(expected: bytes, got: bytes) -> int:
    for position in range(0, max(len(expected), len(got)), HASH_SIZE):
        if expected[position : position + HASH_SIZE] != got[position : position + HASH_SIZE]:
            return position // HASH_SIZE
    return 0


def _read_or_error(source: MirrorSource, path: str) -> bytes | SourceError:
    try:
        return source.read(path)
    except SourceError as exc:
        return exc
