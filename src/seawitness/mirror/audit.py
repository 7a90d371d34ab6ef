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
import json
import multiprocessing
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Generator, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import quote

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from seawitness.errors import VerificationError
from seawitness.ingest.submit import ADMIN_KINDS, KeyInfo, admin_anchor
from seawitness.mirror.publish import (
    ADMIN_VKEY_FILE,
    CHECKPOINT_FILE,
    LOG_VKEY_FILE,
    POLICY_FILE,
    write_atomic,
)
from seawitness.mirror.source import (
    MirrorSource,
    MissingFileError,
    SourceError,
    open_source,
    read_ahead,
)
from seawitness.model.entry import KINDS, Entry, EntryError
from seawitness.model.times import parse_instant
from seawitness.tlog.checkpoint import Checkpoint, CheckpointError
from seawitness.tlog.merkle import EMPTY_ROOT, HASH_SIZE, ProofError, root_hash, verify_consistency
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
_RECORD_KINDS = ADMIN_KINDS | {"correction"}
_BUNDLES_PER_TASK = 8


class AuditFailure(VerificationError):
    """The mirror is not a faithful copy of a valid log; the first problem found.

    ``leaf_index`` names the bad entry, or ``path`` the bad mirror file (a tile, an entry
    bundle, ``checkpoint``); ``reason`` says what is wrong.
    """

    def __init__(self, reason: str, *, leaf_index: int | None = None, path: str | None = None):
        where = f"leaf {leaf_index}" if leaf_index is not None else path or "mirror"
        super().__init__(f"{where}: {reason}")
        self.reason = reason
        self.leaf_index = leaf_index
        self.path = path


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


def _resolve_admin(source: MirrorSource, admin_vkey: str | None, warnings: list[str]) -> KeyInfo:
    if admin_vkey is None:
        admin_vkey = _mirror_text(source, ADMIN_VKEY_FILE)
        warnings.append(
            f"trusting the mirror's own {ADMIN_VKEY_FILE} as the administrator trust anchor; "
            "pin it with --admin-vkey"
        )
    try:
        return admin_anchor(admin_vkey.strip())
    except NoteError as exc:
        raise AuditFailure(f"bad administrator key: {exc}") from None


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
# Per-entry checks that need no history (run in worker processes)


class _Checked(NamedTuple):
    """What a worker found out about one entry, for the sequential replay."""

    leaf_hash: bytes
    problem: str | None
    kind: str = ""
    submitter: str = ""
    key_id: str = ""
    seq: int = 0
    submitted_at: datetime | None = None
    record: Any = None
    """The decoded record, for the kinds the replay looks into (admin kinds, corrections)."""
    verified_with: bytes | None = None
    """Public key the signature was checked against (None: not checked yet)."""
    signature_ok: bool = False


_public_keys: dict[bytes, Ed25519PublicKey] = {}


def _verify_signature(public_key: bytes, entry: Entry) -> bool:
    """Ed25519 verification of an entry's signature; False for a bad or unusable key."""
    key = _public_keys.get(public_key)
    try:
        if key is None:
            key = _public_keys[public_key] = Ed25519PublicKey.from_public_bytes(public_key)
        key.verify(entry.signature, entry.signed_message())
    except (InvalidSignature, ValueError):
        return False
    return True


def _check_entry(data: bytes, key_hints: dict[str, bytes]) -> _Checked:
    """Parse one entry and, if its key is hinted, verify its signature."""
    digest = hashlib.sha256(_LEAF_PREFIX + data).digest()
    try:
        entry = Entry.from_bytes(data)
        if entry.kind not in KINDS:
            return _Checked(digest, f"unknown entry kind {entry.kind!r}")
        if entry.submitted_at.tzinfo is None:
            return _Checked(digest, "submitted_at has no time zone")
        if entry.to_bytes() != data:
            return _Checked(digest, "entry does not re-encode to the same canonical bytes")
        record = json.loads(entry.record_bytes) if entry.kind in _RECORD_KINDS else None
    except (EntryError, ValueError, TypeError, AttributeError) as exc:
        return _Checked(digest, f"malformed entry: {exc}")
    public_key = key_hints.get(entry.key_id)
    ok = _verify_signature(public_key, entry) if public_key is not None else False
    return _Checked(
        digest,
        None,
        entry.kind,
        entry.submitter,
        entry.key_id,
        entry.seq,
        entry.submitted_at,
        record,
        public_key,
        ok,
    )


def _check_entries(entries: Sequence[bytes], key_hints: dict[str, bytes]) -> list[_Checked]:
    """Worker task: :func:`_check_entry` over a run of consecutive entries."""
    return [_check_entry(data, key_hints) for data in entries]


# ---------------------------------------------------------------------------------------
# The registry replay (sequential)


def _parse_time(value: Any) -> datetime:
    return parse_instant(value, naive=None, allow_date=False)


class _Replay:
    """Replays the log's own key registry and ordering rules, one leaf at a time.

    The rules are those every entry passed on submission: key registered by an earlier
    entry and owned by the submitter, valid at ``submitted_at``, administrator keys for
    administrative kinds, contiguous per-submitter sequence numbers, corrections of the
    current version of an earlier record.
    """

    def __init__(self, anchor: KeyInfo) -> None:
        self.keys: dict[str, KeyInfo] = {anchor.key_id: anchor}
        self.stakeholders: set[str] = set()
        self.registered: set[str] = set()
        """Key ids registered by a key entry (the anchor may be registered once too)."""
        self.next_seq: dict[str, int] = {}
        self.versioned: dict[int, bool] = {}
        """Leaves that hold a measurement version → whether a later one superseded it."""
        self.owner: dict[int, str] = {}
        """Leaves that hold a measurement version → the stakeholder who submitted it."""

    def check(self, leaf: int, c: _Checked, data: bytes) -> str | None:
        """Return what is wrong with leaf ``leaf``, or None; update the registry."""
        if c.problem:
            return c.problem
        key = self.keys.get(c.key_id)
        if key is None:
            return f"signed with key {c.key_id!r}, which no earlier entry registers"
        if key.stakeholder != c.submitter:
            return f"key {c.key_id} belongs to {key.stakeholder!r}, not {c.submitter!r}"
        assert c.submitted_at is not None
        invalid = key.valid_at(c.submitted_at.astimezone(UTC))
        if invalid:
            return invalid
        if c.kind in ADMIN_KINDS and not key.is_admin:
            return f"{c.kind} entry not signed by an administrator key"
        ok = c.signature_ok
        if c.verified_with != key.public_key:  # the worker had no (or another) key: redo
            ok = _verify_signature(key.public_key, Entry.from_bytes(data))
        if not ok:
            return f"signature by {c.key_id} does not verify"
        expected = self.next_seq.get(c.submitter, 0)
        if c.seq != expected:
            return f"sequence number {c.seq} of {c.submitter}, expected {expected}"
        self.next_seq[c.submitter] = expected + 1
        try:
            return self._apply(leaf, c)
        except (KeyError, TypeError, ValueError, NoteError) as exc:
            return f"invalid {c.kind} record: {exc}"

    def _apply(self, leaf: int, c: _Checked) -> str | None:
        record = c.record
        if c.kind == "measurement":
            self.versioned[leaf] = False
            self.owner[leaf] = c.submitter
        elif c.kind == "correction":
            target = record["supersedes"]
            if not isinstance(target, int) or not 0 <= target < leaf:
                return f"correction supersedes {target!r}, not an earlier leaf"
            if target not in self.versioned:
                return f"correction supersedes leaf {target}, which is not a measurement"
            if self.versioned[target]:
                return f"correction supersedes leaf {target}, which was already superseded"
            if self.owner[target] != c.submitter and not self.keys[c.key_id].is_admin:
                return (
                    f"correction of leaf {target} by {c.submitter!r}, but only its "
                    f"submitter {self.owner[target]!r} or an administrator may correct it"
                )
            self.versioned[target] = True
            self.versioned[leaf] = False
            self.owner[leaf] = self.owner[target]
        elif c.kind == "stakeholder":
            for name in ("id", "name", "kind"):
                record[name]  # noqa: B018 - a missing field raises KeyError
            self.stakeholders.add(record["id"])
        elif c.kind == "key":
            vkey = parse_vkey(record["vkey"])
            key_id = record["key_id"]
            if key_id != f"{vkey.name}+{vkey.key_id.hex()}":
                return f"key_id {key_id!r} does not match the verifier key"
            if key_id in self.registered:
                return f"key {key_id} is registered a second time"
            self.registered.add(key_id)
            if record["stakeholder"] not in self.stakeholders:
                return f"key for stakeholder {record['stakeholder']!r}, not registered before"
            until = record.get("valid_until")
            self.keys[key_id] = KeyInfo(
                key_id=key_id,
                stakeholder=record["stakeholder"],
                public_key=vkey.public_key,
                valid_from=_parse_time(record["valid_from"]),
                valid_until=None if until is None else _parse_time(until),
                revoked_at=None,
                is_admin=bool(record.get("admin", False)),
            )
        elif c.kind == "revocation":
            record["reason"]  # noqa: B018 - a missing field raises KeyError
            revoked_at = _parse_time(record["revoked_at"])
            if record["key_id"] in self.keys:
                self.keys[record["key_id"]].revoked_at = revoked_at
        return None


# ---------------------------------------------------------------------------------------
# Tiles


class _TileChecker:
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
    result: Future[list[_Checked]] | list[_Checked] | None = None


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
            if _KEY_HINT in data:
                _add_hint(data, key_hints)
        chunk.entries += entries
        chunk.bundles.append((index, width, tile))
        if len(chunk.bundles) == _BUNDLES_PER_TASK:
            yield chunk, dict(key_hints)
            chunk = _Chunk(chunk.first_leaf + len(chunk.entries), [], [])
    if chunk.bundles:
        yield chunk, dict(key_hints)


def _add_hint(data: bytes, key_hints: dict[str, bytes]) -> None:
    try:
        entry = Entry.from_bytes(data)
        if entry.kind == "key":
            record = json.loads(entry.record_bytes)
            key_hints.setdefault(record["key_id"], parse_vkey(record["vkey"]).public_key)
    except (EntryError, ValueError, KeyError, TypeError, NoteError):
        pass


def _make_pool(workers: int) -> Executor | None:
    """A started process pool (forked before any reader thread exists), or None."""
    if workers <= 1:
        return None
    context = None
    if sys.platform.startswith("linux"):
        context = multiprocessing.get_context("fork")
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context)
    list(pool.map(_check_entries, [[] for _ in range(workers)], [{} for _ in range(workers)]))
    return pool


def _scan(
    source: MirrorSource,
    tree_size: int,
    anchor: KeyInfo,
    report: AuditReport,
    pool: Executor | None,
    progress: Progress | None,
) -> bytes:
    """Check every entry and tile; return the recomputed root."""
    replay = _Replay(anchor)
    tiles = _TileChecker(tree_size, source)
    key_hints = {anchor.key_id: anchor.public_key}
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
                chunk.result = _check_entries(chunk.entries, hints)
            else:
                chunk.result = pool.submit(_check_entries, chunk.entries, hints)
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
        anchor = _resolve_admin(mirror, admin_vkey, warnings)
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
            root = _scan(mirror, checkpoint.size, anchor, report, pool, progress)
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
