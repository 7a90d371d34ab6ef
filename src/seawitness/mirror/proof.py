"""Record proofs: one JSON file that shows, offline, that a record is in the log.

A proof bundle (``format: "seawitness-proof/v1"``) holds:

* ``entry``: the leaf bytes (base64), i.e. the signed ``seawitness/entry/v1`` envelope,
  and, for reading, the decoded ``record`` and envelope fields;
* ``signer``: the signer's verifier key and its key-registration entry (the log entry
  by which the administrator registered that key), with *its* inclusion proof;
* ``leaf_index``, ``tree_size`` and ``inclusion_proof``: the RFC 9162 §2.1.3 audit path
  (hex SHA-256 hashes, leaf sibling first), computed from the stored hash tiles;
* ``checkpoint``: the cosigned checkpoint note (c2sp.org/tlog-checkpoint and
  c2sp.org/tlog-cosignature) whose root the path leads to;
* ``tlog_proof``: the same statement in the c2sp.org/tlog-proof@v1 text format;
* ``log_vkey`` and ``admin_vkey``: the keys as the log states them; a verifier should
  pin its own copies rather than trust these.

:func:`verify_proof` checks it: the entry's Ed25519 signature, that the key was
registered for the submitter by an earlier entry of the same tree (and, given the
administrator key, that the registration is signed by it), both inclusion proofs, that
they lead to the checkpoint's root, and the checkpoint's signatures against a trust
policy (c2sp.org/tlog-policy).

Verifying with any RFC 9162 library
-----------------------------------
Nothing here is specific to seawitness beyond the entry format. With any RFC 6962/9162
implementation (transparency-dev/merkle in Go, sigstore's verifier, ...):

1. ``leaf = base64decode(bundle["entry"])``; the leaf hash is
   ``SHA-256(0x00 || leaf)`` (RFC 9162 §2.1.1) -- compute it, never take it from the
   bundle;
2. ``proof = [bytes.fromhex(h) for h in bundle["inclusion_proof"]]``, and call the
   library's inclusion verification with ``leaf_index``, ``tree_size``, the leaf hash,
   ``proof`` and the root hash, which is the base64 third line of ``checkpoint``;
3. verify ``checkpoint`` as a signed note (c2sp.org/signed-note) with the log's key,
   e.g. Go's ``golang.org/x/mod/sumdb/note.Open``; the checkpoint's first two lines
   are the origin and ``tree_size``;
4. the entry signature is Ed25519 over ``b"seawitness/entry/v1\\n"`` followed by the
   entry JSON without its ``signature`` member (RFC 8785 canonical form, i.e. the
   leaf with ``,"signature":"..."`` removed), by the key in ``signer.vkey``
   (``<name>+<hex key id>+base64(0x01 || 32-byte Ed25519 key)``).

A proof says the record was in the log at ``tree_size``; a later revocation of the
signer's key, or a later correction of the record, is found by auditing the log.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select

from seawitness.errors import SeawitnessError, VerificationError
from seawitness.mirror.publish import cosigned_checkpoint
from seawitness.model.entry import Entry, EntryError
from seawitness.model.times import parse_instant
from seawitness.store import schema as s
from seawitness.store.log import tile_reader
from seawitness.store.store import Store
from seawitness.tlog.checkpoint import Checkpoint, CheckpointError
from seawitness.tlog.merkle import HASH_SIZE, root_from_inclusion_proof
from seawitness.tlog.merkle import ProofError as MerkleProofError
from seawitness.tlog.note import NoteError, parse_note, parse_vkey
from seawitness.tlog.policy import Policy, PolicyError, parse_policy
from seawitness.tlog.tiles import TileHashReader

__all__ = [
    "PROOF_FORMAT",
    "TLOG_PROOF_HEADER",
    "ProofCheck",
    "RecordProofError",
    "ProofReport",
    "build_proof",
    "find_leaf",
    "tlog_proof_text",
    "verify_proof",
]

PROOF_FORMAT = "seawitness-proof/v1"
TLOG_PROOF_HEADER = "c2sp.org/tlog-proof@v1"

PASS, FAIL, WARN = "PASS", "FAIL", "WARN"


class RecordProofError(VerificationError):
    """A proof cannot be built (unknown record, not yet checkpointed) or read."""


# ---------------------------------------------------------------------------------------
# Building


def find_leaf(store: Store, record: int | str) -> int:
    """Resolve a leaf index, or a record id (SHA-256 hex of the record), to a leaf index.

    A record logged more than once resolves to its first leaf.
    """
    text = str(record).strip()
    if text.isdigit() and len(text) < 64:
        return int(text)
    if len(text) == 64 and all(ch in "0123456789abcdef" for ch in text.lower()):
        with store.engine.connect() as conn:
            leaf = conn.execute(
                select(s.entries.c.leaf_index)
                .where(s.entries.c.record_id == text.lower())
                .order_by(s.entries.c.leaf_index)
                .limit(1)
            ).scalar_one_or_none()
        if leaf is None:
            raise RecordProofError(f"no record with id {text} in the log")
        return int(leaf)
    raise RecordProofError(f"{text!r} is neither a leaf index nor a record id (64 hex digits)")


def tlog_proof_text(leaf_index: int, proof: list[bytes], checkpoint_note: str) -> str:
    """The c2sp.org/tlog-proof@v1 text: header, index, base64 path, blank, checkpoint."""
    lines = [TLOG_PROOF_HEADER, f"index {leaf_index}"]
    lines += [base64.b64encode(h).decode("ascii") for h in proof]
    return "\n".join(lines) + "\n\n" + checkpoint_note


def build_proof(store: Store, record: int | str) -> dict[str, Any]:
    """Build the proof bundle for a leaf index or record id (see the module docstring)."""
    leaf = find_leaf(store, record)
    note = cosigned_checkpoint(store)
    checkpoint = Checkpoint.from_text(parse_note(note).text)
    size = checkpoint.size
    if not 0 <= leaf < size:
        raise RecordProofError(
            f"leaf {leaf} is not covered by the latest checkpoint (tree size {size})"
        )
    data = store.entries_data([leaf])[leaf]
    entry = Entry.from_bytes(data)
    with store.engine.connect() as conn:
        reader = TileHashReader(size, tile_reader(conn), cache_tiles=16)
        path = reader.inclusion_proof(leaf)
        if reader.root_hash() != checkpoint.root_hash:
            raise RecordProofError("the stored tiles do not lead to the checkpoint's root")
        key = (
            conn.execute(
                select(s.keys.c.vkey, s.keys.c.leaf_index).where(s.keys.c.key_id == entry.key_id)
            )
            .mappings()
            .first()
        )
        registration: dict[str, Any] | None = None
        if key is not None:
            vkey = str(key["vkey"])
            reg_leaf = key["leaf_index"]
            if reg_leaf is not None and int(reg_leaf) < leaf:
                reg_leaf = int(reg_leaf)
                registration = {
                    "leaf_index": reg_leaf,
                    "entry": _b64(store.entries_data([reg_leaf])[reg_leaf]),
                    "inclusion_proof": [h.hex() for h in reader.inclusion_proof(reg_leaf)],
                }
        else:
            vkey = _admin_vkey_for(store, entry.key_id)
    return {
        "format": PROOF_FORMAT,
        "origin": checkpoint.origin,
        "leaf_index": leaf,
        "tree_size": size,
        "entry": _b64(data),
        "record_id": entry.record_id,
        "kind": entry.kind,
        "submitter": entry.submitter,
        "key_id": entry.key_id,
        "seq": entry.seq,
        "submitted_at": entry.submitted_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "record": entry.record,
        "signer": {"key_id": entry.key_id, "vkey": vkey, "registration": registration},
        "inclusion_proof": [h.hex() for h in path],
        "checkpoint": note,
        "tlog_proof": tlog_proof_text(leaf, path, note),
        "log_vkey": store.get_meta("log_vkey"),
        "admin_vkey": store.get_meta("admin_vkey"),
    }


def _admin_vkey_for(store: Store, key_id: str) -> str:
    """The administrator anchor's vkey, if ``key_id`` is the anchor (not registered yet)."""
    admin = store.get_meta("admin_vkey") or ""
    if admin:
        parsed = parse_vkey(admin)
        if f"{parsed.name}+{parsed.key_id.hex()}" == key_id:
            return admin
    raise RecordProofError(f"key {key_id} is not registered in the log")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


# ---------------------------------------------------------------------------------------
# Verifying


@dataclass(frozen=True)
class ProofCheck:
    """One line of a verification: what was checked, the outcome, and details."""

    name: str
    status: str
    """``PASS``, ``FAIL`` or ``WARN`` (could not be checked with what was given)."""
    detail: str = ""

    def line(self) -> str:
        """``PASS  name: detail``."""
        return f"{self.status:<5} {self.name}" + (f": {self.detail}" if self.detail else "")


@dataclass
class ProofReport:
    """The outcome of :func:`verify_proof`: every check made, in order."""

    checks: list[ProofCheck] = field(default_factory=list)
    leaf_index: int | None = None
    tree_size: int | None = None
    origin: str | None = None

    @property
    def ok(self) -> bool:
        """True when no check failed (warnings do not fail a proof)."""
        return bool(self.checks) and all(c.status != FAIL for c in self.checks)

    def add(self, name: str, status: str, detail: str = "") -> None:
        """Record one check."""
        self.checks.append(ProofCheck(name, status, detail))


class _Fail(SeawitnessError):
    """Stops verification: a check failed and later checks would be meaningless."""


def _hashes(value: Any, what: str) -> list[bytes]:
    if not isinstance(value, list):
        raise ValueError(f"{what} is not a list")
    out = []
    for h in value:
        raw = bytes.fromhex(h) if isinstance(h, str) else b""
        if len(raw) != HASH_SIZE:
            raise ValueError(f"{what} holds {h!r}, not a 32-byte hex hash")
        out.append(raw)
    return out


def _entry(value: Any) -> tuple[bytes, Entry]:
    if not isinstance(value, str):
        raise ValueError("entry is not a base64 string")
    try:
        data = base64.b64decode(value, validate=True)
    except binascii.Error as exc:
        raise ValueError(f"entry is not base64: {exc}") from None
    return data, Entry.from_bytes(data)


def _leaf_hash(data: bytes) -> bytes:
    """RFC 9162 §2.1.1: the leaf hash is SHA-256(0x00 || leaf bytes)."""
    return hashlib.sha256(b"\x00" + data).digest()


def _verify_ed25519(vkey_public: bytes, entry: Entry) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(vkey_public).verify(
            entry.signature, entry.signed_message()
        )
    except (InvalidSignature, ValueError):
        return False
    return True


def _parse_time(value: Any) -> datetime:
    return parse_instant(value, naive=None, allow_date=False)


def _trusted_policy(
    bundle: Mapping[str, Any],
    policy: Policy | str | None,
    trust_log_key: str | None,
    report: ProofReport,
) -> Policy:
    if isinstance(policy, str):
        policy = parse_policy(policy)
    if policy is not None:
        return policy
    if trust_log_key:
        return parse_policy(f"log {trust_log_key.strip()}\nquorum none\n")
    report.add(
        "trust",
        WARN,
        "no --trust-log-key or --policy: checking the checkpoint against the log key "
        "inside the proof itself, which proves nothing about who signed it",
    )
    return parse_policy(f"log {str(bundle.get('log_vkey', '')).strip()}\nquorum none\n")


def verify_proof(
    bundle: Mapping[str, Any] | str | bytes,
    *,
    policy: Policy | str | None = None,
    trust_log_key: str | None = None,
    admin_vkey: str | None = None,
) -> ProofReport:
    """Verify a proof bundle offline; every check is reported, see :class:`ProofReport`.

    :param policy: tlog-policy the checkpoint must satisfy.
    :param trust_log_key: the log's verifier key (used when no ``policy`` is given).
    :param admin_vkey: the administrator trust anchor, to check that the signer's key
        registration is signed by it.
    """
    report = ProofReport()
    try:
        if not isinstance(bundle, Mapping):
            try:
                bundle = json.loads(bundle)
            except ValueError as exc:
                report.add("format", FAIL, f"not JSON: {exc}")
                raise _Fail from None
            if not isinstance(bundle, Mapping):
                report.add("format", FAIL, "not a JSON object")
                raise _Fail
        _verify(bundle, policy, trust_log_key, admin_vkey, report)
    except _Fail:
        pass
    return report


def _verify(
    bundle: Mapping[str, Any],
    policy: Policy | str | None,
    trust_log_key: str | None,
    admin_vkey: str | None,
    report: ProofReport,
) -> None:
    def require(name: str, ok: bool, detail: str, failure: str) -> None:
        report.add(name, PASS if ok else FAIL, detail if ok else failure)
        if not ok:
            raise _Fail

    fmt = bundle.get("format")
    require("format", fmt == PROOF_FORMAT, PROOF_FORMAT, f"format is {fmt!r}")

    # 1. The entry and what the bundle says about it.
    try:
        data, entry = _entry(bundle.get("entry"))
        leaf_index, tree_size = bundle["leaf_index"], bundle["tree_size"]
        if not (isinstance(leaf_index, int) and isinstance(tree_size, int)):
            raise ValueError("leaf_index and tree_size must be integers")
        path = _hashes(bundle.get("inclusion_proof"), "inclusion_proof")
    except (ValueError, KeyError, EntryError) as exc:
        report.add("entry", FAIL, f"malformed: {exc}")
        raise _Fail from None
    report.leaf_index, report.tree_size = leaf_index, tree_size
    stated = {
        "record": entry.record,
        "record_id": entry.record_id,
        "kind": entry.kind,
        "submitter": entry.submitter,
        "key_id": entry.key_id,
        "seq": entry.seq,
    }
    differs = [k for k, v in stated.items() if k in bundle and bundle[k] != v]
    require(
        "entry",
        not differs,
        f"leaf {leaf_index}: {entry.kind} by {entry.submitter} (seq {entry.seq}), "
        f"record {entry.record_id[:16]}...",
        f"the bundle's {', '.join(differs)} do not match the signed entry bytes",
    )

    # 2. The signer's key and the entry signature.
    signer = bundle.get("signer")
    try:
        if not isinstance(signer, Mapping):
            raise ValueError("signer is missing")
        vkey_text = str(signer["vkey"])
        vkey = parse_vkey(vkey_text)
    except (ValueError, KeyError, NoteError) as exc:
        report.add("signer key", FAIL, f"malformed: {exc}")
        raise _Fail from None
    key_id = f"{vkey.name}+{vkey.key_id.hex()}"
    require(
        "signer key",
        key_id == entry.key_id,
        key_id,
        f"signer key {key_id} is not the entry's key {entry.key_id}",
    )
    require(
        "entry signature",
        _verify_ed25519(vkey.public_key, entry),
        f"Ed25519 signature by {key_id} verifies",
        f"Ed25519 signature by {key_id} does not verify",
    )

    # 3. The checkpoint, against the trust policy.
    try:
        trusted = _trusted_policy(bundle, policy, trust_log_key, report)
        verified = trusted.verify(str(bundle.get("checkpoint", "")))
    except (NoteError, PolicyError, CheckpointError) as exc:
        report.add("checkpoint signature", FAIL, str(exc))
        raise _Fail from None
    checkpoint = verified.checkpoint
    report.origin = checkpoint.origin
    cosigners = ", ".join(sorted(verified.witnesses)) or "no witness required"
    report.add("checkpoint signature", PASS, f"signed by {verified.log.name}; {cosigners}")
    require(
        "checkpoint tree size",
        checkpoint.size == tree_size,
        f"{tree_size}",
        f"checkpoint is for size {checkpoint.size}, the proof for {tree_size}",
    )

    # 4. The entry's inclusion proof leads to the checkpoint's root.
    root = _check_inclusion("inclusion proof", data, leaf_index, tree_size, path, report)
    require(
        "checkpoint root",
        checkpoint.root_hash == root,
        f"inclusion proof leads to the checkpoint's root {root.hex()[:16]}...",
        f"inclusion proof leads to {root.hex()}, the checkpoint's root is "
        f"{checkpoint.root_hash.hex()}",
    )

    # 5. The key registration (or the administrator anchor itself), in the same tree.
    _check_registration(signer, vkey_text, entry, leaf_index, tree_size, root, admin_vkey, report)
    if "tlog_proof" in bundle:
        expected = tlog_proof_text(leaf_index, path, str(bundle["checkpoint"]))
        require(
            "tlog-proof",
            bundle["tlog_proof"] == expected,
            "c2sp.org/tlog-proof@v1 text agrees",
            "the c2sp.org/tlog-proof@v1 text does not match the other fields",
        )


def _check_inclusion(
    name: str, data: bytes, index: int, size: int, path: list[bytes], report: ProofReport
) -> bytes:
    """RFC 9162 §2.1.3.2: the root implied by the leaf and its audit path."""
    try:
        root = root_from_inclusion_proof(index, size, _leaf_hash(data), path)
    except MerkleProofError as exc:
        report.add(name, FAIL, str(exc))
        raise _Fail from None
    report.add(name, PASS, f"leaf {index} of {size}, {len(path)} hashes")
    return root


def _check_registration(
    signer: Mapping[str, Any],
    vkey_text: str,
    entry: Entry,
    leaf_index: int,
    tree_size: int,
    root: bytes,
    admin_vkey: str | None,
    report: ProofReport,
) -> None:
    name = "key registration"
    registration = signer.get("registration")
    if registration is None:
        if admin_vkey and admin_vkey.strip() == vkey_text.strip():
            report.add(name, PASS, "signed by the administrator trust anchor")
        elif admin_vkey:
            report.add(name, FAIL, "no registration entry, and the signer is not the anchor")
            raise _Fail
        else:
            report.add(name, WARN, "no registration entry: pass --admin-vkey to check the anchor")
        return
    try:
        reg_data, reg = _entry(registration.get("entry"))
        reg_index = registration["leaf_index"]
        reg_path = _hashes(registration.get("inclusion_proof"), "registration inclusion_proof")
        record = reg.record
        problems = []
        if reg.kind != "key":
            problems.append(f"registration is a {reg.kind} entry")
        if record.get("key_id") != entry.key_id or record.get("vkey") != vkey_text:
            problems.append("it registers another key")
        if record.get("stakeholder") != entry.submitter:
            problems.append(f"the key belongs to {record.get('stakeholder')!r}")
        if not (isinstance(reg_index, int) and reg_index < leaf_index):
            problems.append(f"registration leaf {reg_index} is not before leaf {leaf_index}")
        # Judged when the log received the entry (a signer's own clock can be backdated).
        when = (entry.logged_at or entry.submitted_at).astimezone(UTC)
        if when < _parse_time(record.get("valid_from")):
            problems.append("the entry predates the key's valid_from")
        until = record.get("valid_until")
        if until is not None and when >= _parse_time(until):
            problems.append("the entry is after the key's valid_until")
    except (ValueError, KeyError, TypeError, EntryError) as exc:
        report.add(name, FAIL, f"malformed: {exc}")
        raise _Fail from None
    if problems:
        report.add(name, FAIL, "; ".join(problems))
        raise _Fail
    report.add(name, PASS, f"leaf {reg_index} registers {entry.key_id} for {entry.submitter}")
    if record.get("demo") is True:
        report.add(
            "demo key",
            WARN,
            f"{entry.key_id} is a DEMO key held by the instance, not by {entry.submitter}: "
            "it shows what the instance logged, not that the organisation signed it",
        )
    reg_root = _check_inclusion(
        "registration inclusion", reg_data, reg_index, tree_size, reg_path, report
    )
    if reg_root != root:
        report.add("registration root", FAIL, "leads to another root than the checkpoint's")
        raise _Fail
    if not admin_vkey:
        report.add(
            "registration signature",
            WARN,
            f"signed by {reg.key_id}: pass --admin-vkey to check it is the administrator",
        )
        return
    anchor = parse_vkey(admin_vkey.strip())
    anchor_id = f"{anchor.name}+{anchor.key_id.hex()}"
    if reg.key_id != anchor_id:
        report.add(
            "registration signature",
            WARN,
            f"signed by {reg.key_id}, not the anchor {anchor_id}: audit the log to follow "
            "the chain of administrator keys",
        )
        return
    ok = _verify_ed25519(anchor.public_key, reg)
    report.add(
        "registration signature",
        PASS if ok else FAIL,
        f"signed by the administrator {anchor_id}" if ok else "does not verify",
    )
    if not ok:
        raise _Fail
