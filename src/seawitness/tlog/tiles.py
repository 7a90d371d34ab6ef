"""Tiled storage of a Merkle tree, as defined by c2sp.org/tlog-tiles.

A tile is a run of up to 256 consecutive hashes from one *tile level* of the tree:

* level 0 holds leaf hashes;
* level ``L`` holds the roots of perfect subtrees of height ``8 * L`` (so each level-``L``
  hash is the root of one full level-``L-1`` tile);
* tile ``N`` at level ``L`` holds hashes ``N * 256 .. N * 256 + 255`` of its level
  (tlog-tiles "Merkle Tree": ``MTH(D[(N*256+i) * 256**L : (N*256+i+1) * 256**L])``).

A tile with fewer than 256 hashes is *partial*; for a tree of size ``s`` the partial tile
at level ``L`` has ``(s >> 8L) % 256`` hashes, and is never hashed into the level above.
Entry bundles (``tile/entries/N``) hold the leaf data itself, each entry prefixed by its
length as a big-endian uint16 (tlog-tiles "Log Entries").

The pieces here are all pure:

* path encoding and parsing (:func:`tile_path`, :func:`entry_bundle_path`,
  :func:`parse_tile_path`);
* which tiles exist for a tree size (:func:`tile_layout`, :func:`tiles_for_size`);
* tile contents (:func:`tile_hashes_from_leaves`) and the tiles touched by an append
  (:func:`updated_tiles`, :func:`updated_entry_bundles`), for the writer;
* entry bundle encoding (:func:`encode_entry_bundle`, :func:`parse_entry_bundle`);
* :class:`TileHashReader`, which computes any subtree hash, root, inclusion proof or
  consistency proof by reading only the O(log n) tiles it needs.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from seawitness.errors import VerificationError
from seawitness.tlog.merkle import (
    EMPTY_ROOT,
    HASH_SIZE,
    MAX_TREE_SIZE,
    ProofError,
    consistency_proof_ranges,
    inclusion_proof_ranges,
    perfect_subtrees,
)

__all__ = [
    "ENTRIES_LEVEL",
    "MAX_ENTRY_SIZE",
    "MAX_TILE_LEVEL",
    "TILE_HEIGHT",
    "TILE_WIDTH",
    "EntryBundle",
    "EntryTooLargeError",
    "LevelTiles",
    "ReadEntryBundle",
    "ReadTile",
    "TileCoord",
    "TileData",
    "TileError",
    "TileHashReader",
    "encode_entry_bundle",
    "entry_bundle_path",
    "parse_entry_bundle",
    "parse_tile_path",
    "tile_hashes_from_leaves",
    "tile_layout",
    "tile_path",
    "tile_width",
    "tiles_for_size",
    "updated_entry_bundles",
    "updated_tiles",
]

TILE_HEIGHT = 8
"""Height of every tile: c2sp.org/tlog-tiles fixes it at 8."""

TILE_WIDTH = 1 << TILE_HEIGHT
"""Number of hashes (or entries) in a full tile: 256."""

MAX_TILE_LEVEL = 63
"""Largest tile level allowed in a path."""

MAX_ENTRY_SIZE = 0xFFFF
"""Largest entry an entry bundle can hold: its length is a uint16 (65535 bytes)."""

ENTRIES_LEVEL = -1
"""Level reported by :func:`parse_tile_path` for ``tile/entries/...`` paths."""

_FULL_TILE_BYTES = TILE_WIDTH * HASH_SIZE
_NODE_PREFIX = b"\x01"
_sha256 = hashlib.sha256

ReadTile = Callable[[int, int, int], bytes]
"""``read_tile(level, index, width) -> bytes``: the first ``width`` hashes of a tile.

Returning a longer version of the same tile (e.g. the full tile when a partial one was
asked for) is fine: tiles only ever grow, so the first ``width`` hashes never change.
"""

ReadEntryBundle = Callable[[int, int], bytes]
"""``read_entry_bundle(index, width) -> bytes``: an encoded entry bundle (or a longer one)."""


class TileError(VerificationError):
    """A tile, tile path or entry bundle is malformed, missing or out of range.

    ``reason`` holds a human-readable explanation.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class EntryTooLargeError(TileError):
    """An entry is longer than 65535 bytes, the entry bundle (uint16 length) limit."""


@dataclass(frozen=True, slots=True)
class TileCoord:
    """Coordinates of a tile: its level, its index within the level and its width.

    ``width`` is 256 for a full tile and 1..255 for a partial one. For entry bundles
    ``level`` is :data:`ENTRIES_LEVEL`.
    """

    level: int
    index: int
    width: int

    @property
    def is_partial(self) -> bool:
        """Whether the tile holds fewer than 256 hashes."""
        return self.width < TILE_WIDTH

    @property
    def path(self) -> str:
        """The tile's path relative to the log prefix."""
        if self.level == ENTRIES_LEVEL:
            return entry_bundle_path(self.index, self.width)
        return tile_path(self.level, self.index, self.width)


@dataclass(frozen=True, slots=True)
class TileData:
    """A hash tile and its contents (``width`` concatenated 32-byte hashes)."""

    level: int
    index: int
    width: int
    data: bytes


@dataclass(frozen=True, slots=True)
class EntryBundle:
    """An entry bundle and its encoded contents (``width`` length-prefixed entries)."""

    index: int
    width: int
    data: bytes


class LevelTiles(NamedTuple):
    """How many tiles one level has for a given tree size."""

    level: int
    full_tiles: int
    partial_width: int
    """Width of the partial tile at the end of the level; 0 if there is none."""


# ---------------------------------------------------------------------------------------
# Paths (tlog-tiles "Merkle Tree" and "Log Entries")


def _encode_index(index: int) -> str:
    """Encode a tile index as 3-digit groups, all but the last prefixed with ``x``.

    1234067 becomes ``x001/x234/067``; 5 becomes ``005``.
    """
    if index < 0:
        raise TileError(f"tile index {index} is negative")
    digits = str(index)
    digits = "0" * (-len(digits) % 3) + digits
    groups = [digits[i : i + 3] for i in range(0, len(digits), 3)]
    return "/".join([f"x{group}" for group in groups[:-1]] + groups[-1:])


def _width_suffix(width: int) -> str:
    if width == TILE_WIDTH:
        return ""
    if not 1 <= width < TILE_WIDTH:
        raise TileError(f"tile width {width} is not in 1..256")
    return f".p/{width}"


def tile_path(level: int, index: int, width: int = TILE_WIDTH) -> str:
    """Return ``tile/<L>/<N>[.p/<W>]`` for a hash tile (``width`` 256 means full)."""
    if not 0 <= level <= MAX_TILE_LEVEL:
        raise TileError(f"tile level {level} is not in 0..{MAX_TILE_LEVEL}")
    return f"tile/{level}/{_encode_index(index)}{_width_suffix(width)}"


def entry_bundle_path(index: int, width: int = TILE_WIDTH) -> str:
    """Return ``tile/entries/<N>[.p/<W>]`` for an entry bundle (``width`` 256 means full)."""
    return f"tile/entries/{_encode_index(index)}{_width_suffix(width)}"


def parse_tile_path(path: str) -> TileCoord:
    """Parse a tile or entry bundle path; only the canonical encoding is accepted.

    Entry bundles are reported with ``level == ENTRIES_LEVEL``.
    """
    segments = path.split("/")
    if len(segments) < 3 or segments[0] != "tile":
        raise TileError(f"not a tile path: {path!r}")
    width = TILE_WIDTH
    if len(segments) >= 4 and segments[-2].endswith(".p"):
        if not segments[-1].isdigit() or not segments[-1].isascii():
            raise TileError(f"bad partial tile width in {path!r}")
        width = int(segments[-1])
        segments = segments[:-2] + [segments[-2][:-2]]
    level_text, groups = segments[1], segments[2:]
    index_digits = "".join(group.removeprefix("x") for group in groups)
    if not (index_digits.isascii() and index_digits.isdigit()):
        raise TileError(f"bad tile index in {path!r}")
    index = int(index_digits)
    if level_text == "entries":
        coord = TileCoord(ENTRIES_LEVEL, index, width)
    elif level_text.isascii() and level_text.isdigit():
        coord = TileCoord(int(level_text), index, width)
    else:
        raise TileError(f"bad tile level in {path!r}")
    if coord.path != path:
        raise TileError(f"not a canonical tile path: {path!r} (expected {coord.path!r})")
    return coord


# ---------------------------------------------------------------------------------------
# Which tiles exist


def tile_layout(tree_size: int) -> list[LevelTiles]:
    """Return, for each non-empty level, the number of full tiles and the partial width."""
    _check_size(tree_size)
    layout = []
    level = 0
    while count := tree_size >> (TILE_HEIGHT * level):
        layout.append(LevelTiles(level, count >> TILE_HEIGHT, count % TILE_WIDTH))
        level += 1
    return layout


def tiles_for_size(tree_size: int) -> Iterator[TileCoord]:
    """Yield every hash tile of a tree of ``tree_size`` leaves (full tiles, then partial)."""
    for level, full_tiles, partial_width in tile_layout(tree_size):
        for index in range(full_tiles):
            yield TileCoord(level, index, TILE_WIDTH)
        if partial_width:
            yield TileCoord(level, full_tiles, partial_width)


def tile_width(level: int, index: int, tree_size: int) -> int:
    """Return the width of tile ``index`` at ``level`` in a tree of ``tree_size`` leaves.

    Raises :class:`TileError` if that tile does not exist (is empty) at this size.
    """
    count = tree_size >> (TILE_HEIGHT * level)
    width = min(TILE_WIDTH, count - index * TILE_WIDTH)
    if index < 0 or width <= 0:
        raise TileError(f"tile {level}/{index} does not exist in a tree of size {tree_size}")
    return width


def _check_size(tree_size: int) -> None:
    if not 0 <= tree_size <= MAX_TREE_SIZE:
        raise TileError(f"tree size {tree_size} is not an unsigned 64-bit integer")


# ---------------------------------------------------------------------------------------
# Tile contents


def _perfect_root(hashes: bytes) -> bytes:
    """Root of a perfect subtree given its bottom row as concatenated hashes.

    ``len(hashes) // 32`` must be a power of two.
    """
    return _perfect_root_of_list(
        [hashes[i : i + HASH_SIZE] for i in range(0, len(hashes), HASH_SIZE)]
    )


def _perfect_root_of_list(hashes: list[bytes]) -> bytes:
    """Root of a perfect subtree given its bottom row as a list of 32-byte hashes.

    Pairing list items costs one allocation per node less than slicing a row of bytes,
    which matters because hashing the ~1 interior node per leaf is half the work of an
    append.
    """
    sha, prefix = _sha256, _NODE_PREFIX
    while len(hashes) > 1:
        pairs = iter(hashes)
        hashes = [sha(prefix + a + b).digest() for a, b in zip(pairs, pairs, strict=True)]
    return hashes[0]


def _reduce_levels(hashes: bytes, levels: int) -> bytes:
    """Hash a row of concatenated hashes in pairs, ``levels`` times over."""
    sha, prefix = _sha256, _NODE_PREFIX
    for _ in range(levels):
        hashes = b"".join(
            [sha(prefix + hashes[i : i + 64]).digest() for i in range(0, len(hashes), 64)]
        )
    return hashes


def tile_hashes_from_leaves(
    level: int, index: int, width: int, leaf_hashes: Sequence[bytes]
) -> bytes:
    """Compute the contents of tile ``(level, index, width)`` from all level-0 leaf hashes.

    Hash ``i`` of the tile is the root of the perfect subtree over leaves
    ``[(index*256 + i) * 256**level, (index*256 + i + 1) * 256**level)``.
    """
    if not 1 <= width <= TILE_WIDTH:
        raise TileError(f"tile width {width} is not in 1..256")
    span = 1 << (TILE_HEIGHT * level)
    start = index * TILE_WIDTH * span
    end = start + width * span
    if end > len(leaf_hashes):
        raise TileError(
            f"tile {level}/{index} of width {width} needs {end} leaves, "
            f"only {len(leaf_hashes)} given"
        )
    return _reduce_levels(b"".join(leaf_hashes[start:end]), TILE_HEIGHT * level)


def updated_tiles(
    old_size: int, new_leaf_hashes: Sequence[bytes], read_tile: ReadTile
) -> list[TileData]:
    """Return every hash tile that changes when leaves are appended to a tree.

    ``read_tile`` is called only for the partial tiles of the tree at ``old_size`` (at
    most one per level), whose hashes are the start of the new tiles. The result lists,
    level by level, each new or grown tile with its full contents; full tiles have
    width 256. Persist them in the same transaction as the new entries.
    """
    _check_size(old_size)
    _check_size(old_size + len(new_leaf_hashes))
    if set(map(len, new_leaf_hashes)) - {HASH_SIZE}:
        raise TileError(f"every leaf hash must be {HASH_SIZE} bytes")
    changed: list[TileData] = []
    level, old_count, new_hashes = 0, old_size, list(new_leaf_hashes)
    while new_hashes:
        first_index, kept = divmod(old_count, TILE_WIDTH)
        if kept:
            prefix = _read_tile_checked(read_tile, level, first_index, kept)
            row = [prefix[i : i + HASH_SIZE] for i in range(0, len(prefix), HASH_SIZE)]
            row += new_hashes
        else:
            row = new_hashes
        next_level = []
        for offset in range(0, len(row), TILE_WIDTH):
            hashes = row[offset : offset + TILE_WIDTH]
            index = first_index + offset // TILE_WIDTH
            changed.append(TileData(level, index, len(hashes), b"".join(hashes)))
            if len(hashes) == TILE_WIDTH:
                next_level.append(_perfect_root_of_list(hashes))
        level, old_count, new_hashes = level + 1, first_index, next_level
    return changed


def _read_tile_checked(read_tile: ReadTile, level: int, index: int, width: int) -> bytes:
    """Call ``read_tile`` and return exactly ``width`` hashes, or raise :class:`TileError`."""
    data = read_tile(level, index, width)
    if len(data) % HASH_SIZE or not width * HASH_SIZE <= len(data) <= _FULL_TILE_BYTES:
        raise TileError(
            f"tile {level}/{index} should hold at least {width} hashes "
            f"({width * HASH_SIZE} bytes), got {len(data)} bytes"
        )
    return bytes(data[: width * HASH_SIZE])


# ---------------------------------------------------------------------------------------
# Entry bundles


_LENGTH_PREFIX = [n.to_bytes(2, "big") for n in range(MAX_ENTRY_SIZE + 1)]


def encode_entry_bundle(entries: Sequence[bytes]) -> bytes:
    """Encode up to 256 entries as ``uint16-BE length || entry`` records.

    Raises :class:`EntryTooLargeError` for an entry over 65535 bytes.
    """
    if len(entries) > TILE_WIDTH:
        raise TileError(f"an entry bundle holds at most {TILE_WIDTH} entries, got {len(entries)}")
    lengths = list(map(len, entries))
    if lengths and max(lengths) > MAX_ENTRY_SIZE:
        i = next(i for i, n in enumerate(lengths) if n > MAX_ENTRY_SIZE)
        raise EntryTooLargeError(
            f"entry {i} is {lengths[i]} bytes; entry bundles hold at most "
            f"{MAX_ENTRY_SIZE} bytes per entry"
        )
    parts: list[bytes] = [b""] * (2 * len(entries))
    parts[0::2] = map(_LENGTH_PREFIX.__getitem__, lengths)
    parts[1::2] = entries
    return b"".join(parts)


def entry_bundle_prefix(data: bytes, count: int) -> bytes:
    """The first ``count`` entries of an encoded bundle, still encoded: the bundle a
    mirror serves at width ``count``, and the start of a partial bundle that grows."""
    offset = 0
    for i in range(count):
        if offset + 2 > len(data):
            raise TileError(f"entry bundle should hold at least {count} entries, got {i}")
        offset += 2 + int.from_bytes(data[offset : offset + 2], "big")
    if offset > len(data):
        raise TileError(f"entry bundle truncated in entry {count - 1}")
    return data[:offset]


def parse_entry_bundle(data: bytes, width: int | None = None) -> list[bytes]:
    """Decode an entry bundle; if ``width`` is given, require exactly that many entries."""
    entries: list[bytes] = []
    offset = 0
    while offset < len(data):
        if offset + 2 > len(data):
            raise TileError(f"entry bundle truncated in a length prefix at byte {offset}")
        length = int.from_bytes(data[offset : offset + 2], "big")
        offset += 2
        if offset + length > len(data):
            raise TileError(
                f"entry {len(entries)} claims {length} bytes, only {len(data) - offset} left"
            )
        entries.append(bytes(data[offset : offset + length]))
        offset += length
    if len(entries) > TILE_WIDTH:
        raise TileError(f"entry bundle holds {len(entries)} entries, more than {TILE_WIDTH}")
    if width is not None and len(entries) != width:
        raise TileError(f"entry bundle holds {len(entries)} entries, expected {width}")
    return entries


def updated_entry_bundles(
    old_size: int, new_entries: Sequence[bytes], read_entry_bundle: ReadEntryBundle
) -> list[EntryBundle]:
    """Return every entry bundle that changes when ``new_entries`` are appended.

    ``read_entry_bundle`` is called at most once, for the partial bundle at ``old_size``.
    """
    _check_size(old_size)
    first_index, kept = divmod(old_size, TILE_WIDTH)
    entries = list(new_entries)
    bundles = []
    start = 0
    if kept:
        prefix = entry_bundle_prefix(read_entry_bundle(first_index, kept), kept)
        chunk = entries[: TILE_WIDTH - kept]
        data = prefix + encode_entry_bundle(chunk)
        bundles.append(EntryBundle(first_index, kept + len(chunk), data))
        start, first_index = len(chunk), first_index + 1
    for offset in range(start, len(entries), TILE_WIDTH):
        chunk = entries[offset : offset + TILE_WIDTH]
        index = first_index + (offset - start) // TILE_WIDTH
        bundles.append(EntryBundle(index, len(chunk), encode_entry_bundle(chunk)))
    return bundles


# ---------------------------------------------------------------------------------------
# Reading hashes and proofs from tiles


class TileHashReader:
    """Compute tree hashes and RFC 9162 proofs for one tree size, reading only tiles.

    ``read_tile(level, index, width)`` returns tile contents (see :data:`ReadTile`). A
    node of height ``h`` lives in the tile level ``h // 8``; when ``h`` is not a multiple
    of 8 it is recomputed from the ``2**(h % 8)`` tile hashes below it. Each method reads
    every tile it needs once and reads O(log n) tiles.

    By default nothing is kept between calls. With ``cache_tiles=k`` the reader keeps,
    for the ``k`` most recently used tiles, every hash inside the tile's own 8-level
    subtree (about 16 KiB per full tile). Proofs for one tree size share the upper tiles
    and the right edge, and proofs for nearby leaves share their level-0 tile, so a
    long-lived reader that serves many proofs should set a cache.

    Usage::

        reader = TileHashReader(tree_size, store.read_tile)
        proof = reader.inclusion_proof(leaf_index)
        verify_inclusion(leaf_index, tree_size, leaf_hash, proof, reader.root_hash())
    """

    def __init__(self, tree_size: int, read_tile: ReadTile, *, cache_tiles: int = 0) -> None:
        _check_size(tree_size)
        if cache_tiles < 0:
            raise ValueError("cache_tiles must be >= 0")
        self._size = tree_size
        self._read_tile = read_tile
        self._cache_limit = cache_tiles
        self._cache: OrderedDict[tuple[int, int], list[bytes]] = OrderedDict()

    @property
    def tree_size(self) -> int:
        """The tree size this reader answers for."""
        return self._size

    def node_hash(self, height: int, index: int) -> bytes:
        """Return the root of the perfect subtree over leaves ``[index << height, ...)``."""
        return self._node(height, index, {})

    def range_hash(self, start: int, end: int) -> bytes:
        """Return ``MTH(D[start:end])`` for a range produced by the RFC 9162 recursions."""
        return self._range(start, end, {})

    def root_hash(self) -> bytes:
        """Return the root hash of the tree (``MTH(D[0:tree_size])``)."""
        if self._size == 0:
            return EMPTY_ROOT
        return self._range(0, self._size, {})

    def inclusion_proof(self, index: int) -> list[bytes]:
        """Return the RFC 9162 §2.1.3.1 inclusion proof for leaf ``index``."""
        tiles: dict[tuple[int, int], bytes] = {}
        ranges = inclusion_proof_ranges(index, self._size)
        return [self._range(start, end, tiles) for start, end in ranges]

    def consistency_proof(self, old_size: int) -> list[bytes]:
        """Return the RFC 9162 §2.1.4.1 consistency proof from ``old_size`` to this size."""
        tiles: dict[tuple[int, int], bytes] = {}
        ranges = consistency_proof_ranges(old_size, self._size)
        return [self._range(start, end, tiles) for start, end in ranges]

    def _range(self, start: int, end: int, tiles: dict[tuple[int, int], bytes]) -> bytes:
        """``MTH(D[start:end])``: fold the range's perfect subtrees from the right."""
        if not 0 <= start < end <= self._size:
            raise ProofError(f"leaf range [{start}, {end}) is not in a tree of size {self._size}")
        nodes = [self._node(height, index, tiles) for height, index in perfect_subtrees(start, end)]
        result = nodes.pop()
        while nodes:
            result = _sha256(_NODE_PREFIX + nodes.pop() + result).digest()
        return result

    def _node(self, height: int, index: int, tiles: dict[tuple[int, int], bytes]) -> bytes:
        """Root of a complete perfect subtree, from the tile that holds its bottom row."""
        if height < 0 or index < 0 or (index + 1) << height > self._size:
            raise ProofError(
                f"node {index} at height {height} is not complete in a tree of size {self._size}"
            )
        level, height_in_tile = divmod(height, TILE_HEIGHT)
        first = index << height_in_tile  # first hash under the node, in the tile level
        tile_index, offset = divmod(first, TILE_WIDTH)
        if self._cache_limit:
            rows = self._cached_rows(level, tile_index)
            position = (offset >> height_in_tile) * HASH_SIZE
            return rows[height_in_tile][position : position + HASH_SIZE]
        data = tiles.get((level, tile_index))
        if data is None:
            data = self._read(level, tile_index)
            tiles[(level, tile_index)] = data
        return _perfect_root(
            data[offset * HASH_SIZE : (offset + (1 << height_in_tile)) * HASH_SIZE]
        )

    def _read(self, level: int, tile_index: int) -> bytes:
        width = tile_width(level, tile_index, self._size)
        return _read_tile_checked(self._read_tile, level, tile_index, width)

    def _cached_rows(self, level: int, tile_index: int) -> list[bytes]:
        """Every row of a tile's internal subtree: ``rows[h]`` holds its height-``h`` nodes."""
        key = (level, tile_index)
        rows = self._cache.get(key)
        if rows is None:
            rows = [self._read(level, tile_index)]
            for _ in range(TILE_HEIGHT - 1):
                rows.append(_reduce_levels(rows[-1][: len(rows[-1]) & ~63], 1))
            self._cache[key] = rows
            if len(self._cache) > self._cache_limit:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(key)
        return rows
