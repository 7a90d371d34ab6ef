"""The entry checks of an audit: each entry on its own (in worker processes), then the
log's own registry and ordering rules replayed leaf by leaf (in the calling process).

The sequential rules are not written here: :class:`Replay` feeds each entry to the same
:class:`~seawitness.trust.registry.Registry` methods the submission gate calls, so a log
that the gate built passes the audit, and an entry the gate would refuse fails it.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any, NamedTuple

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from seawitness.errors import InputError
from seawitness.model import Correction, Measurement
from seawitness.model.entry import Entry
from seawitness.tlog.note import NoteError, parse_vkey
from seawitness.trust.registry import (
    ADMIN_KINDS,
    Registry,
    check_clock,
    check_correction,
    check_seq,
)

__all__ = ["Checked", "Replay", "check_entries", "check_entry", "key_hint", "verify_signature"]

_LEAF_PREFIX = b"\x00"
_RECORD_KINDS = ADMIN_KINDS | {"ruleset", "alert"}


class Checked(NamedTuple):
    """What a worker found out about one entry, for the sequential replay."""

    leaf_hash: bytes
    problem: str | None
    kind: str = ""
    submitter: str = ""
    key_id: str = ""
    seq: int = 0
    submitted_at: datetime | None = None
    logged_at: datetime | None = None
    record: Any = None
    """The decoded record (for a measurement: only its ``org`` and ``lab``)."""
    verified_with: bytes | None = None
    """Public key the signature was checked against (None: not checked yet)."""
    signature_ok: bool = False


_public_keys: dict[bytes, Ed25519PublicKey] = {}


def verify_signature(public_key: bytes, entry: Entry) -> bool:
    """Ed25519 verification of an entry's signature; False for a bad or unusable key."""
    key = _public_keys.get(public_key)
    try:
        if key is None:
            key = _public_keys[public_key] = Ed25519PublicKey.from_public_bytes(public_key)
        key.verify(entry.signature, entry.signed_message())
    except (InvalidSignature, ValueError):
        return False
    return True


def check_entry(data: bytes, key_hints: dict[str, bytes]) -> Checked:
    """Parse one entry and, if its key is hinted, verify its signature."""
    digest = hashlib.sha256(_LEAF_PREFIX + data).digest()
    try:
        entry = Entry.from_bytes(data, leaf=True)
        if entry.to_bytes() != data:
            return Checked(digest, "entry does not re-encode to the same canonical bytes")
        record = _checked_record(entry)
    except InputError as exc:
        return Checked(digest, f"malformed entry: {exc}")
    public_key = key_hints.get(entry.key_id)
    ok = verify_signature(public_key, entry) if public_key is not None else False
    return Checked(
        digest,
        None,
        entry.kind,
        entry.submitter,
        entry.key_id,
        entry.seq,
        entry.submitted_at,
        entry.logged_at,
        record,
        public_key,
        ok,
    )


def _checked_record(entry: Entry) -> Any:
    """The record, validated by the model's own rules (the gate's), as the replay needs it.

    :raises InputError: the record breaks a rule of its kind.
    """
    record = json.loads(entry.record_bytes)
    if entry.kind == "measurement":
        m = Measurement.from_dict(record)
        return {"org": m.org, "lab": m.lab}
    if entry.kind == "correction":
        c = Correction.from_dict(record)
        rep = c.replacement
        return {
            "supersedes": c.supersedes,
            "replacement": None if rep is None else {"org": rep.org, "lab": rep.lab},
        }
    return record if entry.kind in _RECORD_KINDS else None


def check_entries(entries: list[bytes], key_hints: dict[str, bytes]) -> list[Checked]:
    """Worker task: :func:`check_entry` over a run of consecutive entries."""
    return [check_entry(data, key_hints) for data in entries]


def key_hint(data: bytes) -> tuple[str, bytes] | None:
    """(key id, public key) registered by a key entry, so workers can check signatures
    before the replay reaches it; the replay makes sure the hint was right."""
    try:
        entry = Entry.from_bytes(data)
        if entry.kind != "key":
            return None
        record = json.loads(entry.record_bytes)
        if not isinstance(record, dict) or not isinstance(record.get("key_id"), str):
            return None
        return record["key_id"], parse_vkey(str(record.get("vkey"))).public_key
    except (InputError, NoteError):
        return None


class Replay:
    """Replays the registry and ordering rules one leaf at a time."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self.next_seq: dict[str, int] = {}
        self.owner: dict[int, str] = {}
        """Leaf holding a measurement version → who submitted the series' first version."""
        self.superseded: dict[int, int] = {}
        """Leaf → the later leaf that supersedes it."""
        self.last_logged: datetime | None = None
        """``logged_at`` of the newest leaf replayed."""

    def check(self, leaf: int, c: Checked, data: bytes) -> str | None:
        """Return what is wrong with leaf ``leaf``, or None; update the registry."""
        if c.problem:
            return c.problem
        assert c.submitted_at is not None and c.logged_at is not None
        try:
            check_clock(c.submitted_at, c.logged_at, self.last_logged)
            self.last_logged = c.logged_at
            key = self.registry.authorize(c.kind, c.submitter, c.key_id, c.logged_at)
        except InputError as exc:
            return str(exc)
        ok = c.signature_ok
        if c.verified_with != key.public_key:  # the worker had no (or another) key: redo
            ok = verify_signature(key.public_key, Entry.from_bytes(data))
        if not ok:
            return f"signature by {c.key_id} does not verify"
        try:
            check_seq(c.submitter, c.seq, self.next_seq.get(c.submitter, 0))
            self.next_seq[c.submitter] = c.seq + 1
            self._apply(leaf, c, self.registry.is_admin(key))
        except InputError as exc:
            return str(exc) if c.kind != "correction" else f"invalid correction: {exc}"
        return None

    def _apply(self, leaf: int, c: Checked, admin: bool) -> None:
        record = c.record
        if c.kind == "measurement":
            self.registry.authorize_record("measurement", c.submitter, record)
            self.owner[leaf] = c.submitter
            return
        if not isinstance(record, dict):
            raise InputError(f"{c.kind} record must be a JSON object")
        if c.kind == "correction":
            target = record["supersedes"]
            if not target < leaf:
                raise InputError(f"correction supersedes {target!r}, not an earlier leaf")
            if record["replacement"] is not None and not admin:
                self.registry.authorize_record("measurement", c.submitter, record["replacement"])
            check_correction(
                target,
                owner=self.owner.get(target),
                superseded_by=self.superseded.get(target),
                submitter=c.submitter,
                admin=admin,
            )
            self.superseded[target] = leaf
            self.owner[leaf] = self.owner[target]
            return
        assert c.logged_at is not None
        self.registry.authorize_record(c.kind, c.submitter, record)
        self.registry.apply(c.kind, record, c.logged_at)
