"""RFC 9162 Merkle tree hashing and proofs, against merkle.json and merkle_probes.json."""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path
from typing import Any

import pytest

from seawitness.tlog.merkle import (
    EMPTY_ROOT,
    MerkleState,
    ProofError,
    consistency_proof,
    consistency_proof_ranges,
    inclusion_proof,
    inclusion_proof_ranges,
    leaf_hash,
    node_hash,
    perfect_subtrees,
    root_from_inclusion_proof,
    root_hash,
    verify_consistency,
    verify_inclusion,
)

VECTORS = Path(__file__).parent / "vectors"
MERKLE = json.loads((VECTORS / "merkle.json").read_text())
PROBES = json.loads((VECTORS / "merkle_probes.json").read_text())

LEAVES = [bytes.fromhex(leaf) for leaf in MERKLE["leaves"]]
LEAF_HASHES = [leaf_hash(leaf) for leaf in LEAVES]


def h(value: str) -> bytes:
    return bytes.fromhex(value)


def hashes(values: list[str]) -> list[bytes]:
    return [bytes.fromhex(value) for value in values]


def inclusion_id(case: dict[str, Any]) -> str:
    return f"leaf{case['leaf_index']}-size{case['tree_size']}"


def consistency_id(case: dict[str, Any]) -> str:
    return f"size{case['size1']}-to-{case['size2']}"


def test_empty_tree_root_is_sha256_of_nothing() -> None:
    assert EMPTY_ROOT.hex() == MERKLE["empty_tree_root"]
    assert root_hash([]) == EMPTY_ROOT
    assert MerkleState().root() == EMPTY_ROOT


@pytest.mark.parametrize("index", range(len(LEAVES)))
def test_leaf_hash_matches_vector(index: int) -> None:
    assert leaf_hash(LEAVES[index]).hex() == MERKLE["leaf_hashes"][index]


def test_leaf_and_node_hashes_are_domain_separated() -> None:
    left, right = LEAF_HASHES[0], LEAF_HASHES[1]
    assert node_hash(left, right) == hashlib.sha256(b"\x01" + left + right).digest()
    assert leaf_hash(left + right) != node_hash(left, right)


@pytest.mark.parametrize("case", MERKLE["roots"], ids=lambda c: f"size{c['tree_size']}")
def test_root_hash_matches_vector(case: dict[str, Any]) -> None:
    size = case["tree_size"]
    assert root_hash(LEAF_HASHES[:size]).hex() == case["root"]
    state = MerkleState()
    state.append_many(LEAF_HASHES[:size])
    assert state.root().hex() == case["root"]


SUBTREES = [
    (height, index, value)
    for height, level in enumerate(MERKLE["complete_subtree_hashes"]["levels"])
    for index, value in enumerate(level)
]


@pytest.mark.parametrize(
    ("height", "index", "expected"), SUBTREES, ids=[f"h{h}-i{i}" for h, i, _ in SUBTREES]
)
def test_complete_subtree_hash_matches_vector(height: int, index: int, expected: str) -> None:
    start, end = index << height, (index + 1) << height
    assert root_hash(LEAF_HASHES[start:end]).hex() == expected


INCLUSION_CASES = MERKLE["upstream_inclusion_proofs"] + MERKLE["inclusion_proofs_all"]
CONSISTENCY_CASES = MERKLE["upstream_consistency_proofs"] + MERKLE["consistency_proofs_all"]


@pytest.mark.parametrize("case", INCLUSION_CASES, ids=inclusion_id)
def test_inclusion_proof_generation_matches_vector(case: dict[str, Any]) -> None:
    proof = inclusion_proof(case["leaf_index"], LEAF_HASHES[: case["tree_size"]])
    assert [p.hex() for p in proof] == case["proof"]


@pytest.mark.parametrize("case", INCLUSION_CASES, ids=inclusion_id)
def test_inclusion_proof_vector_verifies(case: dict[str, Any]) -> None:
    verify_inclusion(
        case["leaf_index"],
        case["tree_size"],
        h(case["leaf_hash"]),
        hashes(case["proof"]),
        h(case["root"]),
    )


@pytest.mark.parametrize("case", CONSISTENCY_CASES, ids=consistency_id)
def test_consistency_proof_generation_matches_vector(case: dict[str, Any]) -> None:
    proof = consistency_proof(case["size1"], LEAF_HASHES[: case["size2"]])
    assert [p.hex() for p in proof] == case["proof"]


@pytest.mark.parametrize("case", CONSISTENCY_CASES, ids=consistency_id)
def test_consistency_proof_vector_verifies(case: dict[str, Any]) -> None:
    verify_consistency(
        case["size1"], case["size2"], h(case["root1"]), h(case["root2"]), hashes(case["proof"])
    )


@pytest.mark.parametrize("probe", PROBES["inclusion"], ids=lambda p: p["file"])
def test_inclusion_probe(probe: dict[str, Any]) -> None:
    def run() -> None:
        verify_inclusion(
            probe["leaf_index"],
            probe["tree_size"],
            h(probe["leaf_hash"]),
            hashes(probe["proof"]),
            h(probe["root"]),
        )

    if probe["want_error"]:
        with pytest.raises(ProofError):
            run()
    else:
        run()


@pytest.mark.parametrize("probe", PROBES["consistency"], ids=lambda p: p["file"])
def test_consistency_probe(probe: dict[str, Any]) -> None:
    def run() -> None:
        verify_consistency(
            probe["size1"],
            probe["size2"],
            h(probe["root1"]),
            h(probe["root2"]),
            hashes(probe["proof"]),
        )

    if probe["want_error"]:
        with pytest.raises(ProofError):
            run()
    else:
        run()


def test_probe_files_cover_both_outcomes() -> None:
    outcomes = {p["want_error"] for p in PROBES["inclusion"] + PROBES["consistency"]}
    assert outcomes == {True, False}
    assert len(PROBES["inclusion"]) == len(PROBES["consistency"]) == 98


# --- exhaustive round trips on small trees -------------------------------------------

SMALL_TREE = [leaf_hash(i.to_bytes(2, "big")) for i in range(70)]


@pytest.mark.parametrize("size", [1, 2, 3, 5, 8, 13, 31, 32, 33, 64, 70])
def test_every_generated_proof_verifies(size: int) -> None:
    leaves = SMALL_TREE[:size]
    root = root_hash(leaves)
    for index in range(size):
        proof = inclusion_proof(index, leaves)
        verify_inclusion(index, size, leaves[index], proof, root)
        assert root_from_inclusion_proof(index, size, leaves[index], proof) == root
    for old_size in range(1, size + 1):
        old_root = root_hash(leaves[:old_size])
        verify_consistency(old_size, size, old_root, root, consistency_proof(old_size, leaves))


def test_inclusion_proof_for_wrong_leaf_fails() -> None:
    proof = inclusion_proof(3, SMALL_TREE[:20])
    with pytest.raises(ProofError, match="expected"):
        verify_inclusion(3, 20, SMALL_TREE[4], proof, root_hash(SMALL_TREE[:20]))


def test_inclusion_proof_with_flipped_bit_fails() -> None:
    proof = inclusion_proof(7, SMALL_TREE[:20])
    proof[1] = bytes([proof[1][0] ^ 1]) + proof[1][1:]
    with pytest.raises(ProofError):
        verify_inclusion(7, 20, SMALL_TREE[7], proof, root_hash(SMALL_TREE[:20]))


def test_consistency_proof_with_wrong_old_root_fails() -> None:
    proof = consistency_proof(6, SMALL_TREE[:20])
    with pytest.raises(ProofError, match="old root"):
        verify_consistency(6, 20, root_hash(SMALL_TREE[:7]), root_hash(SMALL_TREE[:20]), proof)


@pytest.mark.parametrize(
    ("index", "size", "reason"),
    [(-1, 4, "unsigned"), (4, 4, "not in a tree"), (0, 2**64, "unsigned")],
)
def test_inclusion_rejects_out_of_range_numbers(index: int, size: int, reason: str) -> None:
    with pytest.raises(ProofError, match=reason):
        verify_inclusion(index, size, SMALL_TREE[0], [], SMALL_TREE[0])


def test_inclusion_rejects_short_hashes() -> None:
    with pytest.raises(ProofError, match="leaf hash is 31 bytes"):
        verify_inclusion(0, 1, SMALL_TREE[0][:31], [], SMALL_TREE[0])
    with pytest.raises(ProofError, match="proof element 0"):
        verify_inclusion(0, 2, SMALL_TREE[0], [b"x"], SMALL_TREE[0])


def test_proof_length_is_checked_before_hashing() -> None:
    proof = inclusion_proof(0, SMALL_TREE[:8])
    with pytest.raises(ProofError, match="has 4 hashes, expected 3"):
        verify_inclusion(0, 8, SMALL_TREE[0], [*proof, proof[0]], root_hash(SMALL_TREE[:8]))
    with pytest.raises(ProofError, match="has 2 hashes, expected 4"):
        verify_consistency(3, 8, SMALL_TREE[0], SMALL_TREE[0], proof[:2])


def test_consistency_from_the_empty_tree_is_an_error() -> None:
    with pytest.raises(ProofError, match="meaningless"):
        verify_consistency(0, 5, EMPTY_ROOT, root_hash(SMALL_TREE[:5]), [])
    with pytest.raises(ProofError):
        consistency_proof_ranges(0, 5)


def test_generation_rejects_impossible_arguments() -> None:
    with pytest.raises(ProofError):
        inclusion_proof_ranges(5, 5)
    with pytest.raises(ProofError):
        consistency_proof_ranges(6, 5)
    assert consistency_proof_ranges(5, 5) == []


def test_proof_ranges_follow_rfc_recursion() -> None:
    # PATH(0, D[7]) = [leaf 1, D[2:4], D[4:7]]
    assert inclusion_proof_ranges(0, 7) == [(1, 2), (2, 4), (4, 7)]
    # PROOF(3, D[7]) = [leaf 2, leaf 3, D[0:2], D[4:7]]
    assert consistency_proof_ranges(3, 7) == [(2, 3), (3, 4), (0, 2), (4, 7)]


def test_perfect_subtrees_decompose_aligned_ranges() -> None:
    assert perfect_subtrees(0, 7) == [(2, 0), (1, 2), (0, 6)]
    assert perfect_subtrees(8, 13) == [(2, 2), (0, 12)]
    with pytest.raises(ValueError, match="aligned"):
        perfect_subtrees(2, 7)
    with pytest.raises(ValueError):
        perfect_subtrees(3, 3)


# --- MerkleState --------------------------------------------------------------------


def test_state_append_one_by_one_matches_reference_root() -> None:
    state = MerkleState()
    for size, value in enumerate(SMALL_TREE, start=1):
        state.append(value)
        assert state.size == size
        assert state.root() == root_hash(SMALL_TREE[:size])


def test_state_append_many_in_random_batches_matches_reference_root() -> None:
    rng = random.Random(6962)
    leaves = [leaf_hash(rng.randbytes(20)) for _ in range(3000)]
    state = MerkleState()
    while state.size < len(leaves):
        batch = leaves[state.size : state.size + rng.choice([1, 2, 3, 7, 64, 255, 300])]
        if rng.random() < 0.5:
            state.append_many(batch)
        else:
            for value in batch:
                state.append(value)
        assert state.root() == root_hash(leaves[: state.size])


def test_state_subtree_hashes_round_trip() -> None:
    state = MerkleState()
    state.append_many(LEAF_HASHES[:7])
    levels = MERKLE["complete_subtree_hashes"]["levels"]
    assert [x.hex() for x in state.subtree_hashes] == [levels[2][0], levels[1][2], levels[0][6]]
    restored = MerkleState.from_subtree_hashes(7, state.subtree_hashes)
    restored.append(LEAF_HASHES[7])
    assert restored.root().hex() == MERKLE["roots"][8]["root"]
    assert state.size == 7  # the original is untouched


def test_state_copy_is_independent() -> None:
    state = MerkleState()
    state.append_many(LEAF_HASHES[:3])
    clone = state.copy()
    clone.append(LEAF_HASHES[3])
    assert state.root().hex() == MERKLE["roots"][3]["root"]
    assert clone.root().hex() == MERKLE["roots"][4]["root"]


def test_state_append_leaves_hashes_raw_entries() -> None:
    state = MerkleState()
    state.append_leaves(LEAVES)
    assert state.root().hex() == MERKLE["roots"][8]["root"]


def test_state_rejects_bad_input() -> None:
    state = MerkleState()
    with pytest.raises(ValueError):
        state.append(b"short")
    with pytest.raises(ValueError):
        state.append_many([LEAF_HASHES[0], b"short"])
    assert state.size == 0
    with pytest.raises(ValueError, match="edge subtrees"):
        MerkleState.from_subtree_hashes(3, [LEAF_HASHES[0]])
