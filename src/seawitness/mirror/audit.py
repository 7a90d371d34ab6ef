"""Audit a published log from its static files alone: trust nothing but the keys you pin.

:func:`audit` reads a mirror (a directory or an HTTP(S) prefix, see
:mod:`seawitness.mirror.source`) and re-derives everything from the signed entries:

1. **Checkpoint** (c2sp.org/tlog-checkpoint): its signatures must satisfy the trust
   policy (c2sp.org/tlog-policy): a signature by a trusted log key whose name is the
   origin, and witness cosignatures (c2sp.org/tlog-cosignature) meeting the quorum. A
   signature by a known key that fails rejects the checkpoint (c2sp.org/signed-note).
2. **Entries**: every entry bundle (c2sp.org/tlog-tiles "Log Entries") for the tree size
   is read and must hold exactly the expected number of entries. Each entry must be
   canonical RFC 8785 JSON of the ``seawitness/entry/v1`` envelope, at most 65535 bytes,
   of a known kind.
3. **Registry replay**: starting from the administrator trust anchor, the key,
   revocation and stakeholder entries of the log itself say which key may sign for whom
   and when. Each entry's key must have been registered by an *earlier* entry (or be the
   anchor), belong to the submitter, be valid at ``submitted_at`` (after ``valid_from``,
   before ``valid_until`` and any earlier-logged revocation) and be an administrator key
   for stakeholder, key and revocation entries; its Ed25519 signature over
   ``b"seawitness/entry/v1\\n" + JCS(envelope minus signature)`` must verify.
4. **Order**: each submitter's sequence numbers run 0, 1, 2, ... with no gap or repeat,
   and a correction supersedes an earlier measurement or correction leaf that no earlier
   correction superseded.
5. **Tiles** (c2sp.org/tlog-tiles "Merkle Tree"): every hash tile of the tree size is
   recomputed from the entries (RFC 9162 §2.1.1 leaf and node hashes) and compared byte
   for byte with the published one; the root (RFC 9162 §2.1) must equal the checkpoint's.
6. **History**: the last checkpoint verified from this origin is kept in a state
   directory. A smaller tree is refused as a shrink, the same size with another root as
   a fork, and a larger tree must come with a valid RFC 9162 §2.1.4 consistency proof,
   computed from the published tiles.

The first problem found, in log order, stops the audit with :class:`AuditFailure`,
naming the leaf index or the mirror path. Signature checks run on a pool of processes
(Ed25519 verification in ``cryptography`` holds the GIL, so threads do not help); the
registry replay, which is sequential by nature, runs in the calling process.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Generator, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from seawitness.mirror.failure import AuditFailure
from seawitness.mirror.publish import (
    ADMIN_VKEY_FILE,
    CHECKPOINT_FILE,
    LOG_VKEY_FILE,
    POLICY_FILE,
    write_atomic,
)
from seawitness.mirror.replay import Checked, Replay, check_entries, key_hint
from seawitness.mirror.source import (
    MirrorSource,
    MissingFileError,
    SourceError,
    open_source,
    read_ahead,
)
from seawitness.mirror.tilecheck import TileChecker
from seawitness.tlog.checkpoint import Checkpoint, CheckpointError
from seawitness.tlog.merkle import HASH_SIZE, ProofError, verify_consistency
from seawitness.tlog.note import NoteError, parse_note, parse_vkey
from seawitness.tlog.policy import Policy, PolicyError, VerifiedCheckpoint, parse_policy
from seawitness.tlog.tiles import (
    TILE_WIDTH,
    TileError,
    TileHashReader,
    entry_bundle_path,
    parse_entry_bundle,
    parse_tile_path,
    tile_path,
)
from seawitness.trust.registry import Registry, TrustError

__all__ = [
    "AuditFailure",
    "AuditReport",
    "audit",
    "default_state_dir",
    "log_only_policy",
]

Progress = Callable[[int, int], None]
"""``progress(entries_checked, tree_size)``."""

_LEAF_PREFIX = b"\x00"
_KEY_HINT = b'"kind":"key"'
_BUNDLES_PER_TASK = 8


@dataclass
class AuditReport:
    """What a passed audit verified."""

    source: str
    origin: str
    tree_size: int
    root_hash: bytes
    log_key: str
    """Name and key ID of the log key that signed the checkpoint."""
    witnesses: list[str]
    """Policy names of the witnesses whose cosignatures verified."""
    by_kind: Counter[str] = field(default_factory=Counter)
    by_submitter: Counter[str] = field(default_factory=Counter)
    tiles_checked: int = 0
    seconds: float = 0.0
    workers: int = 1
    previous_size: int | None = None
    """Tree size of the checkpoint verified by the previous audit (None: first audit)."""
    state_file: Path | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def entries(self) -> int:
        """Number of entries verified (the tree size)."""
        return self.tree_size

    @property
    def records_per_second(self) -> float:
        """Entries verified per second of wall-clock time."""
        return self.tree_size / self.seconds if self.seconds else 0.0


# ---------------------------------------------------------------------------------------
# Trust and state


def log_only_policy(log_vkey: str) -> Policy:
    """A policy that trusts one log key and requires no witness."""
    return parse_policy(f"log {log_vkey.strip()}\nquorum none\n")


def default_state_dir(origin: str) -> Path:
    """``$XDG_STATE_HOME/seawitness/audit/<origin>`` (default ``~/.local/state/...``).

    The origin is percent-encoded into one path segment (it usually contains ``/``).
    """
    base = os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state"
    return Path(base) / "seawitness" / "audit" / quote(origin, safe="")


def _mirror_text(source: MirrorSource, path: str) -> str:
    try:
        return source.read(path).decode("utf-8").strip()
    except UnicodeDecodeError:
        raise AuditFailure("is not UTF-8 text", path=path) from None
    except SourceError as exc:
        raise AuditFailure(exc.reason, path=path) from None


def _resolve_policy(
    source: MirrorSource,
    policy: Policy | str | None,
    trust_log_key: str | None,
    warnings: list[str],
) -> Policy:
    """The policy the checkpoint must satisfy: given, pinned key, or the mirror's own."""
    try:
        if isinstance(policy, str):
            policy = parse_policy(policy)
        if policy is not None:
            if trust_log_key and trust_log_key.strip() not in {log.vkey for log in policy.logs}:
                raise AuditFailure("the pinned log key is not listed in the trust policy")
            return policy
        if trust_log_key:
            return log_only_policy(trust_log_key)
    except PolicyError as exc:
        raise AuditFailure(f"invalid trust policy or log key: {exc}") from None
    try:
        text = source.read(POLICY_FILE).decode("utf-8")
        where = POLICY_FILE
    except MissingFileError:
        text = f"log {_mirror_text(source, LOG_VKEY_FILE)}\nquorum none\n"
        where = LOG_VKEY_FILE
    except (SourceError, UnicodeDecodeError) as exc:
        raise AuditFailure(f"cannot read the mirror's policy: {exc}", path=POLICY_FILE) from None
    warnings.append(
        f"trusting the mirror's own {where}: this only shows the mirror is self-consistent; "
        "pin the log key with --trust-log-key or --policy"
    )
    try:
        return parse_policy(text)
    except PolicyError as exc:
        raise AuditFailure(f"invalid policy: {exc}", path=where) from None


def _resolve_admin(source: MirrorSource, admin_vkey: str | None, warnings: list[str]) -> Registry:
    if admin_vkey is None:
        admin_vkey = _mirror_text(source, ADMIN_VKEY_FILE)
        warnings.append(
            f"trusting the mirror's own {ADMIN_VKEY_FILE} as the administrator trust anchor; "
            "pin it with --admin-vkey"
        )
    try:
        return Registry.anchored(admin_vkey)
    except TrustError as exc:
        raise AuditFailure(str(exc)) from None


def _verify_checkpoint(source: MirrorSource, policy: Policy) -> tuple[bytes, VerifiedCheckpoint]:
    try:
        note = source.read(CHECKPOINT_FILE)
    except SourceError as exc:
        raise AuditFailure(exc.reason, path=CHECKPOINT_FILE) from None
    try:
        return note, policy.verify(note)
    except (NoteError, PolicyError, CheckpointError) as exc:
        raise AuditFailure(f"checkpoint rejected: {exc}", path=CHECKPOINT_FILE) from None


def _load_state(state_dir: Path | None, origin: str) -> Checkpoint | None:
    if state_dir is None:
        return None
    try:
        text = (state_dir / CHECKPOINT_FILE).read_bytes()
    except FileNotFoundError:
        return None
    try:
        previous = Checkpoint.from_text(parse_note(text).text)
    except (NoteError, CheckpointError) as exc:
        raise AuditFailure(f"saved checkpoint in {state_dir} is unreadable: {exc}") from None
    if previous.origin != origin:
        raise AuditFailure(
            f"saved state in {state_dir} is for origin {previous.origin!r}, not {origin!r}"
        )
    return previous


def _check_not_rolled_back(previous: Checkpoint | None, current: Checkpoint) -> None:
    """Quick refusal of a shrink or same-size fork, before reading any entry."""
    if previous is None:
        return
    if current.size < previous.size:
        raise AuditFailure(
            f"the log shrank: this checkpoint has {current.size} entries, a checkpoint with "
            f"{previous.size} was verified before (rollback or fork)",
            path=CHECKPOINT_FILE,
        )
    if current.size == previous.size and current.root_hash != previous.root_hash:
        raise AuditFailure(
            f"fork: a checkpoint of the same size {current.size} with a different root "
            "was verified before",
            path=CHECKPOINT_FILE,
        )


# ---------------------------------------------------------------------------------------
# The scan


@dataclass
class _Chunk:
    """Consecutive entry bundles handed to one worker task."""

    first_leaf: int
    entries: list[bytes]
    bundles: list[tuple[int, int, bytes | SourceError]]
    """(bundle index, width, published level-0 tile) for each bundle of the chunk."""
    stop: AuditFailure | None = None
    """A bundle problem right after this chunk's bundles: raised once they are checked."""
    result: Future[list[Checked]] | list[Checked] | None = None


def _bundle_problem(
    path: str, data: bytes, width: int, tile: bytes | SourceError
) -> tuple[list[bytes], AuditFailure | None]:
    """Parse a bundle; on a bad one, say which leaf first disagrees with the hash tile."""
    try:
        return parse_entry_bundle(data, width), None
    except TileError as exc:
        reason = f"bad entry bundle: {exc.reason}"
    try:
        entries = parse_entry_bundle(data)
    except TileError:
        return [], AuditFailure(reason, path=path)
    if isinstance(tile, bytes):
        hashes = [hashlib.sha256(_LEAF_PREFIX + e).digest() for e in entries]
        offset = next(
            (n for n, h in enumerate(hashes) if tile[n * HASH_SIZE : (n + 1) * HASH_SIZE] != h),
            len(hashes),
        )
        if offset < width:
            first = _path_first_leaf(path) + offset
            reason += f"; the first entry that does not match the hash tile is leaf {first}"
    return [], AuditFailure(reason, path=path)


def _path_first_leaf(path: str) -> int:
    """First leaf index of an entry bundle path (``tile/entries/x001/234`` → 1234 * 256)."""
    return parse_tile_path(path).index * TILE_WIDTH


def _chunks(
    source: MirrorSource, tree_size: int, key_hints: dict[str, bytes]
) -> Generator[tuple[_Chunk, dict[str, bytes]], None, None]:
    """Read bundles and their level-0 tiles in order, grouped for the workers.

    ``key_hints`` (key id → public key) is updated from key entries as they are read, so
    that workers can check most signatures; the replay makes sure the hint was right.
    """
    count = -(-tree_size // TILE_WIDTH)

    def coords() -> Iterator[str]:
        for index in range(count):
            width = min(TILE_WIDTH, tree_size - index * TILE_WIDTH)
            yield entry_bundle_path(index, width)
            yield tile_path(0, index, width)

    reads = read_ahead(source, coords(), window=16)
    chunk = _Chunk(0, [], [])
    for index in range(count):
        width = min(TILE_WIDTH, tree_size - index * TILE_WIDTH)
        bundle_path, bundle = next(reads)
        _, tile = next(reads)
        if isinstance(bundle, SourceError):
            chunk.stop = AuditFailure(bundle.reason, path=bundle_path)
            yield chunk, dict(key_hints)
            return
        entries, problem = _bundle_problem(bundle_path, bundle, width, tile)
        if problem:
            chunk.stop = problem
            yield chunk, dict(key_hints)
            return
        for data in entries:
            if _KEY_HINT in data and (hint := key_hint(data)) is not None:
                key_hints.setdefault(*hint)
        chunk.entries += entries
        chunk.bundles.append((index, width, tile))
        if len(chunk.bundles) == _BUNDLES_PER_TASK:
            yield chunk, dict(key_hints)
            chunk = _Chunk(chunk.first_leaf + len(chunk.entries), [], [])
    if chunk.bundles:
        yield chunk, dict(key_hints)


def _make_pool(workers: int) -> Executor | None:
    """A started process pool (forked before any reader thread exists), or None."""
    if workers <= 1:
        return None
    context = None
    if sys.platform.startswith("linux"):
        context = multiprocessing.get_context("fork")
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context)
    list(pool.map(check_entries, [[] for _ in range(workers)], [{} for _ in range(workers)]))
    return pool


def _scan(
    source: MirrorSource,
    tree_size: int,
    registry: Registry,
    report: AuditReport,
    pool: Executor | None,
    progress: Progress | None,
) -> bytes:
    """Check every entry and tile; return the recomputed root."""
    replay = Replay(registry)
    tiles = TileChecker(tree_size, source)
    key_hints = {k.key_id: k.public_key for k in registry.keys.values()}
    in_flight: list[_Chunk] = []
    limit = 2 * (report.workers + 1)

    def settle(chunk: _Chunk) -> None:
        checked = chunk.result.result() if isinstance(chunk.result, Future) else chunk.result
        assert checked is not None
        for offset, (c, data) in enumerate(zip(checked, chunk.entries, strict=True)):
            leaf = chunk.first_leaf + offset
            problem = replay.check(leaf, c, data)
            if problem:
                raise AuditFailure(problem, leaf_index=leaf)
            report.by_kind[c.kind] += 1
            report.by_submitter[c.submitter] += 1
        for n, (index, width, tile) in enumerate(chunk.bundles):
            start = n * TILE_WIDTH
            hashes = b"".join(c.leaf_hash for c in checked[start : start + width])
            tiles.level0(index, width, hashes, tile)
        if progress:
            progress(chunk.first_leaf + len(chunk.entries), tree_size)
        if chunk.stop:
            raise chunk.stop

    with closing(_chunks(source, tree_size, key_hints)) as chunks:
        for chunk, hints in chunks:
            if pool is None:
                chunk.result = check_entries(chunk.entries, hints)
            else:
                chunk.result = pool.submit(check_entries, chunk.entries, hints)
            in_flight.append(chunk)
            while len(in_flight) >= limit or (in_flight and pool is None):
                settle(in_flight.pop(0))
        while in_flight:
            settle(in_flight.pop(0))
    tiles.finish()
    report.tiles_checked = tiles.checked
    return tiles.root()


# ---------------------------------------------------------------------------------------
# The audit


def audit(
    source: str | Path | MirrorSource,
    *,
    policy: Policy | str | None = None,
    trust_log_key: str | None = None,
    admin_vkey: str | None = None,
    state_dir: Path | None = None,
    default_state: bool = False,
    workers: int | None = None,
    progress: Progress | None = None,
) -> AuditReport:
    """Verify a published log end to end; raise :class:`AuditFailure` on the first problem.

    :param source: a mirror directory, an ``http(s)://`` prefix, or a
        :class:`~seawitness.mirror.source.MirrorSource`.
    :param policy: tlog-policy (text or parsed) the checkpoint must satisfy.
    :param trust_log_key: the log's verifier key, pinned (log-only policy if no
        ``policy``). With neither, the mirror's own ``policy`` or ``log.vkey`` is used and
        a warning is added to the report.
    :param admin_vkey: the administrator trust anchor; default the mirror's
        ``admin.vkey`` (with a warning).
    :param state_dir: where the last verified checkpoint is kept; None keeps no state
        unless ``default_state`` (then :func:`default_state_dir` of the origin).
    :param workers: processes for signature checks (default: the number of CPUs).
    :param progress: ``progress(entries_checked, tree_size)``.
    """
    started = time.perf_counter()
    owned = isinstance(source, (str, Path))
    mirror: MirrorSource = open_source(source) if isinstance(source, (str, Path)) else source
    workers = max(1, workers if workers is not None else (os.cpu_count() or 1))
    try:
        warnings: list[str] = []
        trusted = _resolve_policy(mirror, policy, trust_log_key, warnings)
        registry = _resolve_admin(mirror, admin_vkey, warnings)
        note, verified = _verify_checkpoint(mirror, trusted)
        checkpoint = verified.checkpoint
        if state_dir is None and default_state:
            state_dir = default_state_dir(checkpoint.origin)
        previous = _load_state(state_dir, checkpoint.origin)
        _check_not_rolled_back(previous, checkpoint)
        report = AuditReport(
            source=mirror.location,
            origin=checkpoint.origin,
            tree_size=checkpoint.size,
            root_hash=checkpoint.root_hash,
            log_key=f"{verified.log.name}+{parse_vkey(verified.log.vkey).key_id.hex()}",
            witnesses=sorted(verified.witnesses),
            workers=workers,
            previous_size=None if previous is None else previous.size,
            warnings=warnings,
        )
        pool = _make_pool(workers if checkpoint.size > TILE_WIDTH * _BUNDLES_PER_TASK else 1)
        try:
            root = _scan(mirror, checkpoint.size, registry, report, pool, progress)
        finally:
            if pool is not None:
                pool.shutdown(cancel_futures=True)
        if root != checkpoint.root_hash:
            raise AuditFailure(
                f"checkpoint root {checkpoint.root_hash.hex()} is not the root of the "
                f"published entries ({root.hex()})",
                path=CHECKPOINT_FILE,
            )
        if previous is not None:
            _check_consistency(mirror, previous, checkpoint)
        if state_dir is not None:
            write_atomic(state_dir / CHECKPOINT_FILE, note)
            report.state_file = state_dir / CHECKPOINT_FILE
        report.seconds = time.perf_counter() - started
        return report
    finally:
        if owned:
            mirror.close()


def _check_consistency(source: MirrorSource, previous: Checkpoint, current: Checkpoint) -> None:
    """RFC 9162 §2.1.4: the verified tree must extend the previously verified one."""
    if previous.size in (0, current.size):
        return  # the empty tree precedes every tree; equal sizes were compared already

    def read(level: int, index: int, width: int) -> bytes:
        path = tile_path(level, index, width)
        try:
            return source.read(path)
        except SourceError as exc:
            raise AuditFailure(exc.reason, path=path) from None

    try:
        proof = TileHashReader(current.size, read).consistency_proof(previous.size)
        verify_consistency(
            previous.size, current.size, previous.root_hash, current.root_hash, proof
        )
    except (ProofError, TileError) as exc:
        raise AuditFailure(
            f"fork: this log of {current.size} entries does not extend the checkpoint of "
            f"{previous.size} entries verified before ({exc})",
            path=CHECKPOINT_FILE,
        ) from None
