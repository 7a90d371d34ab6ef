"""c2sp.org/tlog-tiles: paths, tile sets, contents, entry bundles and proofs from tiles."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from seawitness.tlog.merkle import (
    EMPTY_ROOT,
    ProofError,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    root_hash,
    verify_consistency,
    verify_inclusion,
)
from seawitness.tlog.tiles import (
    ENTRIES_LEVEL,
    MAX_ENTRY_SIZE,
    EntryTooLargeError,
    LevelTiles,
    TileCoord,
    TileError,
    TileHashReader,
    encode_entry_bundle,
    entry_bundle_path,
    parse_entry_bundle,
    parse_tile_path,
    tile_hashes_from_leaves,
    tile_layout,
    tile_path,
    tile_width,
    tiles_for_size,
    updated_entry_bundles,
    updated_tiles,
)

VECTORS = Path(__file__).parent / "vectors"
TILES = json.loads((VECTORS / "tiles.json").read_text())


def width_or_full(width: int | None) -> int:
    return 256 if width is None else width


# --- vectors ------------------------------------------------------------------------


@pytest.mark.parametrize("case", TILES["tile_paths"], ids=lambda c: c["path"])
def test_tile_path_matches_vector(case: dict[str, Any]) -> None:
    width = width_or_full(case["width"])
    assert tile_path(case["level"], case["index"], width) == case["path"]
    assert parse_tile_path(case["path"]) == TileCoord(case["level"], case["index"], width)


@pytest.mark.parametrize("case", TILES["entry_bundle_paths"], ids=lambda c: c["path"])
def test_entry_bundle_path_matches_vector(case: dict[str, Any]) -> None:
    width = width_or_full(case["width"])
    assert entry_bundle_path(case["index"], width) == case["path"]
    assert parse_tile_path(case["path"]) == TileCoord(ENTRIES_LEVEL, case["index"], width)


@pytest.mark.parametrize("case", TILES["tile_sets"], ids=lambda c: f"size{c['tree_size']}")
def test_tile_layout_matches_vector(case: dict[str, Any]) -> None:
    expected = [LevelTiles(t["level"], t["full_tiles"], t["partial_width"]) for t in case["tiles"]]
    assert tile_layout(case["tree_size"]) == expected


@pytest.mark.parametrize(
    "case",
    [c for c in TILES["tile_sets"] if c["tree_size"] <= 70000],
    ids=lambda c: f"size{c['tree_size']}",
)
def test_tiles_for_size_lists_every_tile_once(case: dict[str, Any]) -> None:
    tiles = list(tiles_for_size(case["tree_size"]))
    assert len(tiles) == sum(t["full_tiles"] + (t["partial_width"] > 0) for t in case["tiles"])
    assert len(set(tiles)) == len(tiles)
    for tile in tiles:
        assert tile_width(tile.level, tile.index, case["tree_size"]) == tile.width


def test_partial_width_rule() -> None:
    # "floor(s / 256**l) mod 256; 0 means no partial tile"
    assert "mod 256" in TILES["partial_width_rule"]
    for size in (1, 255, 256, 257, 65535, 65536, 70000, 16777217):
        for level, _, partial in tile_layout(size):
            assert partial == (size // 256**level) % 256


def test_empty_tree_has_no_tiles() -> None:
    assert tile_layout(0) == []
    assert list(tiles_for_size(0)) == []


# --- paths --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "tile/0/5",
        "tile/0/x000/005",
        "tile/00/000",
        "tile/64/000",
        "tile/0/000.p/0",
        "tile/0/000.p/256",
        "tile/0/000.p/05",
        "tile/0/001/002",
        "tile/entries/x1/000",
        "tiles/0/000",
        "tile/0",
        "tile/-1/000",
        "tile/data/000",
    ],
)
def test_parse_tile_path_rejects_non_canonical_paths(path: str) -> None:
    with pytest.raises(TileError):
        parse_tile_path(path)


@pytest.mark.parametrize("index", [0, 7, 999, 1000, 1234067, 2**40 + 12345])
def test_tile_path_round_trips(index: int) -> None:
    for width in (1, 100, 256):
        coord = TileCoord(3, index, width)
        assert parse_tile_path(coord.path) == coord
        assert coord.is_partial == (width < 256)


def test_tile_path_rejects_bad_numbers() -> None:
    with pytest.raises(TileError):
        tile_path(64, 0)
    with pytest.raises(TileError):
        tile_path(0, -1)
    with pytest.raises(TileError):
        tile_path(0, 0, 0)


# --- entry bundles ------------------------------------------------------------------


def test_entry_bundle_round_trip() -> None:
    entries = [b"", b"a", b"x" * 300, bytes(MAX_ENTRY_SIZE)]
    data = encode_entry_bundle(entries)
    assert data[:2] == b"\x00\x00" and data[2:5] == b"\x00\x01a"
    assert parse_entry_bundle(data) == entries
    assert parse_entry_bundle(data, width=4) == entries


def test_entry_over_64k_is_rejected_with_a_clear_error() -> None:
    with pytest.raises(EntryTooLargeError, match="65536 bytes"):
        encode_entry_bundle([b"ok", bytes(MAX_ENTRY_SIZE + 1)])


def test_entry_bundle_holds_at_most_256_entries() -> None:
    with pytest.raises(TileError, match="at most 256"):
        encode_entry_bundle([b"e"] * 257)


@pytest.mark.parametrize(
    ("data", "reason"),
    [(b"\x00", "length prefix"), (b"\x00\x05abc", "claims 5 bytes"), (b"\x00\x00" * 257, "257")],
)
def test_parse_entry_bundle_rejects_malformed_data(data: bytes, reason: str) -> None:
    with pytest.raises(TileError, match=reason):
        parse_entry_bundle(data)


def test_parse_entry_bundle_checks_width() -> None:
    with pytest.raises(TileError, match="expected 3"):
        parse_entry_bundle(encode_entry_bundle([b"a", b"b"]), width=3)


def test_updated_entry_bundles_extends_the_partial_bundle() -> None:
    entries = [f"entry {i}".encode() for i in range(600)]
    bundles: dict[int, bytes] = {}
    size = 0
    for batch in (3, 250, 1, 300, 46):
        new = entries[size : size + batch]
        for bundle in updated_entry_bundles(size, new, lambda i, w: bundles[i]):
            bundles[bundle.index] = bundle.data
            assert len(parse_entry_bundle(bundle.data)) == bundle.width
        size += batch
    assert sorted(bundles) == [0, 1, 2]
    assert [e for i in range(3) for e in parse_entry_bundle(bundles[i])] == entries


# --- tile contents and the writer ---------------------------------------------------


def make_leaves(count: int, seed: int = 0) -> list[bytes]:
    rng = random.Random(seed)
    return [leaf_hash(rng.randbytes(8)) for _ in range(count)]


class TileStore:
    """In-memory tile storage: keeps the newest version of each tile."""

    def __init__(self) -> None:
        self.tiles: dict[tuple[int, int], bytes] = {}
        self.reads = 0

    def read_tile(self, level: int, index: int, width: int) -> bytes:
        self.reads += 1
        return self.tiles[(level, index)]

    def append(self, old_size: int, new_leaf_hashes: list[bytes]) -> None:
        for tile in updated_tiles(old_size, new_leaf_hashes, self.read_tile):
            assert len(tile.data) == 32 * tile.width
            self.tiles[(tile.level, tile.index)] = tile.data


def grow_store(leaves: list[bytes], seed: int = 1) -> TileStore:
    store, size, rng = TileStore(), 0, random.Random(seed)
    while size < len(leaves):
        batch = leaves[size : size + rng.choice([1, 2, 100, 255, 256, 257, 3000])]
        store.append(size, batch)
        size += len(batch)
    return store


LEAVES_70K = make_leaves(70000)
STORE_70K = grow_store(LEAVES_70K)


def test_written_tiles_match_tiles_computed_from_leaves() -> None:
    for tile in tiles_for_size(len(LEAVES_70K)):
        expected = tile_hashes_from_leaves(tile.level, tile.index, tile.width, LEAVES_70K)
        assert STORE_70K.tiles[(tile.level, tile.index)] == expected


def test_level_one_tile_hash_is_root_of_a_full_level_zero_tile() -> None:
    level_one = tile_hashes_from_leaves(1, 0, 2, LEAVES_70K)
    assert level_one[:32] == root_hash(LEAVES_70K[:256])
    assert level_one[32:] == root_hash(LEAVES_70K[256:512])


def test_updated_tiles_reports_only_changed_tiles() -> None:
    store = grow_store(LEAVES_70K[:1000])
    changed = updated_tiles(1000, LEAVES_70K[1000:1100], store.read_tile)
    # 1000 = 3 full level-0 tiles + 232; +100 fills tile 3 and starts tile 4 (width 76).
    # Level 1 gains one hash: its partial tile grows from width 3 to width 4.
    assert [(t.level, t.index, t.width) for t in changed] == [(0, 3, 256), (0, 4, 76), (1, 0, 4)]
    assert updated_tiles(1000, [], store.read_tile) == []


def test_updated_tiles_rejects_a_short_partial_tile() -> None:
    with pytest.raises(TileError, match="at least 5 hashes"):
        updated_tiles(5, make_leaves(1), lambda level, index, width: bytes(32 * 4))


def test_tile_hashes_from_leaves_needs_enough_leaves() -> None:
    with pytest.raises(TileError, match="needs"):
        tile_hashes_from_leaves(1, 0, 2, LEAVES_70K[:300])


# --- proofs from tiles --------------------------------------------------------------


def test_root_from_tiles_matches_reference_root() -> None:
    for size in (1, 2, 255, 256, 257, 511, 65535, 65536, 65537, 70000):
        reader = TileHashReader(size, STORE_70K.read_tile)
        assert reader.root_hash() == root_hash(LEAVES_70K[:size])
    assert TileHashReader(0, STORE_70K.read_tile).root_hash() == EMPTY_ROOT


RANDOM_SIZES = sorted(random.Random(9162).sample(range(1, 70001), 12)) + [
    1,
    2,
    256,
    257,
    512,
    65536,
    65537,
    70000,
]


@pytest.mark.parametrize("size", RANDOM_SIZES)
def test_inclusion_proofs_from_tiles_match_reference(size: int) -> None:
    rng = random.Random(size)
    reader = TileHashReader(size, STORE_70K.read_tile)
    root = root_hash(LEAVES_70K[:size])
    indexes = {0, size - 1, rng.randrange(size), rng.randrange(size), (size - 1) & ~255}
    for index in indexes:
        proof = reader.inclusion_proof(index)
        assert proof == inclusion_proof(index, LEAVES_70K[:size])
        verify_inclusion(index, size, LEAVES_70K[index], proof, root)


@pytest.mark.parametrize("size", RANDOM_SIZES)
def test_consistency_proofs_from_tiles_match_reference(size: int) -> None:
    rng = random.Random(-size)
    reader = TileHashReader(size, STORE_70K.read_tile)
    root = root_hash(LEAVES_70K[:size])
    for old_size in {1, size, rng.randrange(1, size + 1), rng.randrange(1, size + 1)}:
        proof = reader.consistency_proof(old_size)
        assert proof == consistency_proof(old_size, LEAVES_70K[:size])
        old_root = root_hash(LEAVES_70K[:old_size])
        verify_consistency(old_size, size, old_root, root, proof)


def test_cached_reader_gives_the_same_answers() -> None:
    plain = TileHashReader(69999, STORE_70K.read_tile)
    cached = TileHashReader(69999, STORE_70K.read_tile, cache_tiles=4)
    rng = random.Random(3)
    for _ in range(40):
        index = rng.randrange(69999)
        assert cached.inclusion_proof(index) == plain.inclusion_proof(index)
        assert cached.consistency_proof(index + 1) == plain.consistency_proof(index + 1)
    assert cached.root_hash() == plain.root_hash()


def test_proof_reads_only_a_few_tiles() -> None:
    store = TileStore()
    store.tiles = STORE_70K.tiles
    reader = TileHashReader(70000, store.read_tile)
    reader.inclusion_proof(12345)
    assert store.reads <= 6  # 3 levels, each with the leaf's tile and the right edge


def test_reader_accepts_longer_tiles_than_asked() -> None:
    # The store holds the newest (longer) tiles; a reader for an older size must use
    # only the prefix that existed at that size.
    reader = TileHashReader(300, STORE_70K.read_tile)
    assert reader.root_hash() == root_hash(LEAVES_70K[:300])
    assert reader.inclusion_proof(299) == inclusion_proof(299, LEAVES_70K[:300])


def test_reader_rejects_short_or_ragged_tiles() -> None:
    reader = TileHashReader(300, lambda level, index, width: bytes(32 * width - 1))
    with pytest.raises(TileError):
        reader.inclusion_proof(3)


def test_reader_rejects_nodes_outside_the_tree() -> None:
    reader = TileHashReader(300, STORE_70K.read_tile)
    with pytest.raises(ProofError):
        reader.node_hash(8, 1)  # leaves 256..511 are not all in a tree of 300
    with pytest.raises(ProofError):
        reader.inclusion_proof(300)
    with pytest.raises(ProofError):
        reader.consistency_proof(301)
    assert reader.node_hash(8, 0) == root_hash(LEAVES_70K[:256])
    assert reader.range_hash(256, 300) == root_hash(LEAVES_70K[256:300])
