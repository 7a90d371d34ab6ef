"""Merkle tree hashing and proofs, as defined by RFC 9162 §2.1 (= RFC 6962 §2.1).

The tree hash is SHA-256 with domain separation between leaves and interior nodes:

* ``leaf_hash(d)      = SHA-256(0x00 || d)``          (RFC 9162 §2.1.1)
* ``node_hash(l, r)   = SHA-256(0x01 || l || r)``     (RFC 9162 §2.1.1)
* ``MTH({})           = SHA-256("")``

For ``n > 1`` leaves, ``k`` is the largest power of two smaller than ``n`` and
``MTH(D[n]) = node_hash(MTH(D[0:k]), MTH(D[k:n]))``. The tree is left-heavy and no leaf
is ever duplicated.

This module has three parts:

1. hashing (:func:`leaf_hash`, :func:`node_hash`, :func:`root_hash`);
2. proof *generation* from an in-memory list of leaf hashes. The RFC recursions ``PATH``
   and ``SUBPROOF`` are written once, as functions that return the leaf *ranges* whose
   tree hashes make up the proof (:func:`inclusion_proof_ranges`,
   :func:`consistency_proof_ranges`). Any hash source can turn those ranges into hashes:
   a list in memory here, persisted tiles in :mod:`seawitness.tlog.tiles`;
3. proof *verification* (:func:`verify_inclusion`, :func:`verify_consistency`), which
   follows the step lists of RFC 9162 §2.1.3.2 and §2.1.4.2 literally.

:class:`MerkleState` keeps the right edge of a growing tree (a "compact range") so that
appends cost amortised O(1) hashes per leaf and the root costs O(log n).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

from seawitness.errors import VerificationError

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "MAX_TREE_SIZE",
    "MerkleState",
    "ProofError",
    "consistency_proof",
    "consistency_proof_ranges",
    "inclusion_proof",
    "inclusion_proof_ranges",
    "leaf_hash",
    "node_hash",
    "perfect_subtrees",
    "root_from_inclusion_proof",
    "root_hash",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
"""Size of every tree hash in bytes (SHA-256)."""

MAX_TREE_SIZE = 2**64 - 1
"""Tree sizes and leaf indexes are unsigned 64-bit integers (RFC 9162 §2.1)."""

_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"
_sha256 = hashlib.sha256

EMPTY_ROOT = _sha256(b"").digest()
"""``MTH({})``: the root hash of the empty tree."""


class ProofError(VerificationError):
    """A Merkle proof, or the arguments given to check or build one, is not valid.

    ``reason`` holds a human-readable explanation of what failed.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# ---------------------------------------------------------------------------------------
# Hashing (RFC 9162 §2.1.1)


def leaf_hash(data: bytes) -> bytes:
    """Return the RFC 9162 leaf hash ``SHA-256(0x00 || data)``."""
    return _sha256(_LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Return the RFC 9162 interior node hash ``SHA-256(0x01 || left || right)``."""
    return _sha256(_NODE_PREFIX + left + right).digest()


def root_hash(leaf_hashes: Sequence[bytes]) -> bytes:
    """Return ``MTH`` of a tree, given the hashes of all its leaves in order."""
    state = MerkleState()
    state.append_many(leaf_hashes)
    return state.root()


def _largest_power_of_two_below(n: int) -> int:
    """Return the largest power of two strictly smaller than ``n`` (``n >= 2``)."""
    return 1 << ((n - 1).bit_length() - 1)


def perfect_subtrees(start: int, end: int) -> list[tuple[int, int]]:
    """Split the leaf range ``[start, end)`` into perfect subtrees, largest first.

    Each subtree is returned as ``(height, index)``: it covers the leaves
    ``[index * 2**height, (index + 1) * 2**height)``. Folding their hashes from the right
    with :func:`node_hash` gives ``MTH(D[start:end])``, provided the range is one that the
    RFC 9162 recursions produce, i.e. ``start`` is a multiple of the smallest power of two
    that is ``>= end - start``. Ranges that do not satisfy this raise :class:`ValueError`.
    """
    if not 0 <= start < end:
        raise ValueError(f"empty or negative leaf range [{start}, {end})")
    span = 1 << (end - start - 1).bit_length()
    if start % span:
        raise ValueError(f"leaf range [{start}, {end}) is not aligned like an RFC 9162 subtree")
    subtrees = []
    while start < end:
        height = (end - start).bit_length() - 1
        subtrees.append((height, start >> height))
        start += 1 << height
    return subtrees


# ---------------------------------------------------------------------------------------
# Proof generation (RFC 9162 §2.1.3.1 and §2.1.4.1)


def inclusion_proof_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """Return the leaf ranges whose tree hashes form the inclusion proof ``PATH(index, D[size])``.

    The ranges are half-open ``(start, end)`` pairs, ordered bottom-up as in RFC 9162
    §2.1.3.1: the first is the leaf's sibling, the last is a child of the root.
    """
    _check_tree_size("tree_size", size)
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is not in a tree of size {size}")
    return _path(index, 0, size)


def _path(m: int, start: int, end: int) -> list[tuple[int, int]]:
    """``PATH(m, D[start:end])`` of RFC 9162 §2.1.3.1, as leaf ranges."""
    n = end - start
    if n == 1:
        return []
    k = _largest_power_of_two_below(n)
    if m < k:
        return _path(m, start, start + k) + [(start + k, end)]
    return _path(m - k, start + k, end) + [(start, start + k)]


def consistency_proof_ranges(old_size: int, new_size: int) -> list[tuple[int, int]]:
    """Return the leaf ranges whose tree hashes form ``PROOF(old_size, D[new_size])``.

    RFC 9162 §2.1.4.1 defines the proof for ``0 < old_size < new_size``; as is usual, the
    proof for ``old_size == new_size`` is empty. ``old_size == 0`` is rejected: a proof
    from the empty tree is meaningless (a witness handles that case before asking).
    """
    _check_tree_size("new tree size", new_size)
    if not 0 < old_size <= new_size:
        raise ProofError(
            f"no consistency proof from size {old_size} to size {new_size} "
            "(need 0 < old size <= new size)"
        )
    if old_size == new_size:
        return []
    return _subproof(old_size, 0, new_size, True)


def _subproof(m: int, start: int, end: int, complete: bool) -> list[tuple[int, int]]:
    """``SUBPROOF(m, D[start:end], b)`` of RFC 9162 §2.1.4.1, as leaf ranges."""
    n = end - start
    if m == n:
        return [] if complete else [(start, end)]
    k = _largest_power_of_two_below(n)
    if m <= k:
        return _subproof(m, start, start + k, complete) + [(start + k, end)]
    return _subproof(m - k, start + k, end, False) + [(start, start + k)]


def inclusion_proof(index: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """Return the RFC 9162 inclusion proof for leaf ``index`` in the tree of ``leaf_hashes``.

    This is the reference implementation: it rehashes whole subtrees, so it costs O(n).
    Persisted logs should use :class:`seawitness.tlog.tiles.TileHashReader` instead.
    """
    ranges = inclusion_proof_ranges(index, len(leaf_hashes))
    return [root_hash(leaf_hashes[start:end]) for start, end in ranges]


def consistency_proof(old_size: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """Return the RFC 9162 consistency proof from ``old_size`` to ``len(leaf_hashes)``.

    Reference implementation, O(n); see :func:`inclusion_proof`.
    """
    ranges = consistency_proof_ranges(old_size, len(leaf_hashes))
    return [root_hash(leaf_hashes[start:end]) for start, end in ranges]


# ---------------------------------------------------------------------------------------
# Proof verification (RFC 9162 §2.1.3.2 and §2.1.4.2)


def _check_tree_size(what: str, value: int) -> None:
    if not 0 <= value <= MAX_TREE_SIZE:
        raise ProofError(f"{what} {value} is not an unsigned 64-bit integer")


def _check_hash(what: str, value: bytes) -> None:
    if len(value) != HASH_SIZE:
        raise ProofError(f"{what} is {len(value)} bytes long, expected {HASH_SIZE}")


def _check_proof_hashes(proof: Sequence[bytes]) -> None:
    for position, element in enumerate(proof):
        _check_hash(f"proof element {position}", element)


def _inclusion_proof_length(index: int, size: int) -> int:
    """Number of hashes in ``PATH(index, D[size])``: inner nodes plus border nodes."""
    inner = (index ^ (size - 1)).bit_length()
    border = (index >> inner).bit_count()
    return inner + border


def root_from_inclusion_proof(
    leaf_index: int, tree_size: int, leaf: bytes, proof: Sequence[bytes]
) -> bytes:
    """Return the root hash implied by an inclusion proof (RFC 9162 §2.1.3.2, steps 1-4).

    ``leaf`` is the leaf *hash*. Raises :class:`ProofError` if the inputs are malformed
    or the proof has the wrong length for ``(leaf_index, tree_size)``.
    """
    _check_tree_size("tree size", tree_size)
    _check_tree_size("leaf index", leaf_index)
    if leaf_index >= tree_size:
        raise ProofError(f"leaf index {leaf_index} is not in a tree of size {tree_size}")
    _check_hash("leaf hash", leaf)
    _check_proof_hashes(proof)
    expected = _inclusion_proof_length(leaf_index, tree_size)
    if len(proof) != expected:
        raise ProofError(
            f"inclusion proof has {len(proof)} hashes, expected {expected} "
            f"for leaf {leaf_index} in a tree of size {tree_size}"
        )

    fn, sn = leaf_index, tree_size - 1
    r = leaf
    for p in proof:
        if sn == 0:
            raise ProofError("inclusion proof is too long")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("inclusion proof is too short")
    return r


def verify_inclusion(
    leaf_index: int, tree_size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> None:
    """Check an RFC 9162 §2.1.3.2 inclusion proof; raise :class:`ProofError` if it fails.

    ``leaf`` is the leaf hash (compute it yourself with :func:`leaf_hash`; never trust a
    leaf hash sent by a server).
    """
    _check_hash("root hash", root)
    computed = root_from_inclusion_proof(leaf_index, tree_size, leaf, proof)
    if computed != root:
        raise ProofError(f"inclusion proof leads to root {computed.hex()}, expected {root.hex()}")


def _consistency_proof_length(old_size: int, new_size: int) -> int:
    """Number of hashes in ``PROOF(old_size, D[new_size])`` for ``0 < old < new``."""
    shift = (old_size & -old_size).bit_length() - 1  # trailing zero bits of old_size
    inner_and_border = _inclusion_proof_length(
        (old_size - 1) >> shift, ((new_size - 1) >> shift) + 1
    )
    starts_with_old_subtree = old_size != 1 << shift
    return inner_and_border + int(starts_with_old_subtree)


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """Check an RFC 9162 §2.1.4.2 consistency proof; raise :class:`ProofError` if it fails.

    Around the RFC algorithm (which needs ``0 < old_size < new_size``) this applies the
    edge rules of transparency-dev/merkle: ``old_size > new_size`` and ``old_size == 0``
    are errors, and for ``old_size == new_size`` the proof must be empty and the roots
    equal. Every hash that takes part in hashing must be 32 bytes.
    """
    _check_tree_size("old tree size", old_size)
    _check_tree_size("new tree size", new_size)
    if old_size > new_size:
        raise ProofError(f"old tree size {old_size} is larger than new tree size {new_size}")
    if old_size == 0:
        raise ProofError("a consistency proof from the empty tree is meaningless")
    if old_size == new_size:
        # Nothing is hashed here, so (like transparency-dev/merkle) the roots are only
        # compared, whatever their length.
        if proof:
            raise ProofError("consistency proof between equal tree sizes must be empty")
        if old_root != new_root:
            raise ProofError("trees of equal size have different root hashes")
        return
    _check_hash("old root hash", old_root)
    _check_hash("new root hash", new_root)
    _check_proof_hashes(proof)

    # Step 1.
    if not proof:
        raise ProofError("consistency proof is empty")
    expected = _consistency_proof_length(old_size, new_size)
    if len(proof) != expected:
        raise ProofError(
            f"consistency proof has {len(proof)} hashes, expected {expected} "
            f"from size {old_size} to size {new_size}"
        )
    # Step 2.
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    # Steps 3-4.
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    # Step 5.
    fr = sr = path[0]
    # Step 6.
    for c in path[1:]:
        if sn == 0:
            raise ProofError("consistency proof is too long")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    # Step 7.
    if sn != 0:
        raise ProofError("consistency proof is too short")
    if fr != old_root:
        raise ProofError(
            f"consistency proof leads to old root {fr.hex()}, expected {old_root.hex()}"
        )
    if sr != new_root:
        raise ProofError(
            f"consistency proof leads to new root {sr.hex()}, expected {new_root.hex()}"
        )


# ---------------------------------------------------------------------------------------
# Incremental tree state (compact range of the right edge)


class MerkleState:
    """The right edge of a Merkle tree: enough to append leaves and compute the root.

    A tree of size ``n`` is, from left to right, a sequence of perfect subtrees, one for
    each set bit of ``n`` (largest first). ``MerkleState`` keeps the root hash of each of
    those subtrees, indexed by height (``edge[h]`` is set iff bit ``h`` of ``n`` is set).
    Appending merges equal-height subtrees like a binary counter carries, so ``n`` appends
    cost ``n - popcount`` node hashes in total, and :meth:`root` costs at most 63.

    Usage::

        state = MerkleState()
        state.append_many([leaf_hash(b"a"), leaf_hash(b"b")])
        state.size, state.root()
    """

    __slots__ = ("_edge", "_size")

    def __init__(self) -> None:
        self._size = 0
        self._edge: list[bytes | None] = []

    @classmethod
    def from_subtree_hashes(cls, size: int, hashes: Sequence[bytes]) -> MerkleState:
        """Rebuild a state from :attr:`subtree_hashes` (largest subtree first)."""
        _check_tree_size("tree size", size)
        heights = [h for h in range(size.bit_length() - 1, -1, -1) if size >> h & 1]
        if len(hashes) != len(heights):
            raise ValueError(
                f"a tree of size {size} has {len(heights)} edge subtrees, got {len(hashes)}"
            )
        state = cls()
        state._size = size
        state._edge = [None] * size.bit_length()
        for height, value in zip(heights, hashes, strict=True):
            if len(value) != HASH_SIZE:
                raise ValueError(f"subtree hash is {len(value)} bytes, expected {HASH_SIZE}")
            state._edge[height] = bytes(value)
        return state

    @property
    def size(self) -> int:
        """Number of leaves in the tree."""
        return self._size

    @property
    def subtree_hashes(self) -> list[bytes]:
        """Roots of the perfect subtrees on the right edge, largest (leftmost) first."""
        return [h for h in reversed(self._edge) if h is not None]

    def copy(self) -> MerkleState:
        """Return an independent copy of this state."""
        clone = MerkleState()
        clone._size = self._size
        clone._edge = list(self._edge)
        return clone

    def root(self) -> bytes:
        """Return ``MTH`` of the tree: fold the edge subtrees from right to left."""
        result: bytes | None = None
        for subtree in self._edge:  # smallest (rightmost) first
            if subtree is not None:
                result = subtree if result is None else node_hash(subtree, result)
        return EMPTY_ROOT if result is None else result

    def append(self, leaf: bytes) -> None:
        """Append one leaf, given its leaf hash."""
        if len(leaf) != HASH_SIZE:
            raise ValueError(f"leaf hash is {len(leaf)} bytes, expected {HASH_SIZE}")
        edge, carry, height = self._edge, leaf, 0
        size = self._size
        while size >> height & 1:
            left = edge[height]
            assert left is not None
            carry = _sha256(_NODE_PREFIX + left + carry).digest()
            edge[height] = None
            height += 1
        if height == len(edge):
            edge.append(carry)
        else:
            edge[height] = carry
        self._size = size + 1

    def append_many(self, leaf_hashes: Iterable[bytes]) -> None:
        """Append many leaves at once, given their leaf hashes, in order.

        Works one tree level at a time: the new nodes of a level, preceded by the edge
        subtree already at that height (if any), are hashed in pairs to form the next
        level; an unpaired last node becomes the new edge subtree at that height.
        """
        level = list(leaf_hashes)
        if not level:
            return
        if set(map(len, level)) != {HASH_SIZE}:
            raise ValueError(f"every leaf hash must be {HASH_SIZE} bytes")
        new_size = self._size + len(level)
        _check_tree_size("tree size", new_size)
        edge = self._edge
        edge.extend([None] * (new_size.bit_length() - len(edge)))
        sha, prefix = _sha256, _NODE_PREFIX
        height = 0
        while level:
            left = edge[height]
            if left is not None:
                level.insert(0, left)
            edge[height] = level.pop() if len(level) & 1 else None
            pairs = iter(level)
            level = [sha(prefix + a + b).digest() for a, b in zip(pairs, pairs, strict=True)]
            height += 1
        self._size = new_size

    def append_leaves(self, leaves: Iterable[bytes]) -> None:
        """Append many leaves given as raw entry bytes (hashed with :func:`leaf_hash`)."""
        sha, prefix = _sha256, _LEAF_PREFIX
        self.append_many([sha(prefix + data).digest() for data in leaves])

    def __repr__(self) -> str:
        return f"MerkleState(size={self._size}, root={self.root().hex()})"
