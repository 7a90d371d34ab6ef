"""Witness trust policies, as defined by c2sp.org/tlog-policy (from Sigsum).

A policy names the logs whose checkpoints are accepted, the witnesses, and a quorum
rule saying which sets of witness cosignatures are enough::

    # comments and blank lines are ignored
    log <vkey> [<url>]
    witness <name> <vkey> [<url>]
    group <name> all|any|<k> <member>...
    quorum <name>|none

* items are separated by spaces and tabs only;
* witnesses and groups share one namespace; ``none`` is predefined;
* a group or the quorum may only reference names defined on earlier lines, a group needs
  ``1 <= k <= n`` and every name may be a group member at most once in the whole file;
* there is exactly one quorum line, and no two logs (or two witnesses) share a key.

Log keys must be note-signing keys (vkey type 0x01 or 0x02); witness keys must be
``cosignature/v1`` keys (type 0x04). A checkpoint satisfies the policy when it carries a
valid signature from a listed log whose key name is the checkpoint origin, and the
witnesses whose cosignatures verified satisfy the quorum (:meth:`Policy.verify`).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from seawitness.errors import VerificationError
from seawitness.tlog.checkpoint import Checkpoint
from seawitness.tlog.note import (
    ALG_COSIGNATURE_V1,
    ALG_ECDSA,
    ALG_ED25519,
    InvalidKeyError,
    NoteSignature,
    VerifiedNote,
    Verifier,
    open_note,
    parse_vkey,
    verifier_from_vkey,
)

__all__ = [
    "NONE",
    "Policy",
    "PolicyError",
    "PolicyGroup",
    "PolicyLog",
    "PolicyWitness",
    "QuorumNotMetError",
    "VerifiedCheckpoint",
    "parse_policy",
]

NONE = "none"
"""The predefined name for "no cosignatures required"."""

_SEPARATOR = re.compile(r"[ \t]+")
_THRESHOLD = re.compile(r"[1-9][0-9]*")
_LOG_KEY_TYPES = (ALG_ED25519, ALG_ECDSA)
_WITNESS_KEY_TYPES = (ALG_COSIGNATURE_V1,)


class PolicyError(VerificationError):
    """A policy file is invalid, or a checkpoint does not satisfy a policy.

    ``reason`` explains why; ``line`` is the 1-based line number for parse errors.
    """

    def __init__(self, reason: str, line: int | None = None) -> None:
        super().__init__(reason if line is None else f"line {line}: {reason}")
        self.reason = reason
        self.line = line


class QuorumNotMetError(PolicyError):
    """The verified witness cosignatures do not satisfy the policy's quorum."""


@dataclass(frozen=True)
class PolicyLog:
    """A ``log`` line: a trusted log key and an optional URL."""

    vkey: str
    url: str | None = None

    @property
    def name(self) -> str:
        """The log key name, which must equal the log's checkpoint origin."""
        return parse_vkey(self.vkey).name

    def verifier(self) -> Verifier:
        """The note verifier for this log's key."""
        return verifier_from_vkey(self.vkey)


@dataclass(frozen=True)
class PolicyWitness:
    """A ``witness`` line: a policy-local name, a cosigning key and an optional URL."""

    name: str
    vkey: str
    url: str | None = None

    def verifier(self) -> Verifier:
        """The cosignature verifier for this witness's key."""
        return verifier_from_vkey(self.vkey)


@dataclass(frozen=True)
class PolicyGroup:
    """A ``group`` line: satisfied when at least ``threshold`` members are."""

    name: str
    threshold: int
    members: tuple[str, ...]


@dataclass(frozen=True)
class VerifiedCheckpoint:
    """A checkpoint that satisfied a policy, and the evidence for it."""

    checkpoint: Checkpoint
    note: VerifiedNote
    log: PolicyLog
    witnesses: frozenset[str]
    """Policy names of the witnesses whose cosignatures verified."""


@dataclass(frozen=True)
class Policy:
    """A parsed tlog-policy; build one with :func:`parse_policy`."""

    logs: tuple[PolicyLog, ...]
    witnesses: tuple[PolicyWitness, ...]
    groups: tuple[PolicyGroup, ...]
    quorum: str
    """Name of the witness or group that must witness a checkpoint, or ``"none"``."""

    def is_satisfied(self, witnessed: Collection[str]) -> bool:
        """Whether the witnesses named in ``witnessed`` (policy names) meet the quorum."""
        if self.quorum == NONE:
            return True
        witnesses = {witness.name for witness in self.witnesses}
        groups = {group.name: group for group in self.groups}

        def satisfied(name: str) -> bool:
            if name in witnesses:
                return name in witnessed
            group = groups[name]
            return sum(satisfied(member) for member in group.members) >= group.threshold

        return satisfied(self.quorum)

    def cosigners(self, signatures: Iterable[NoteSignature]) -> frozenset[str]:
        """Map *verified* note signatures to the policy names of their witnesses."""
        by_key = {}
        for witness in self.witnesses:
            parsed = parse_vkey(witness.vkey)
            by_key[(parsed.name, parsed.key_id)] = witness.name
        return frozenset(
            by_key[(sig.name, sig.key_id)] for sig in signatures if (sig.name, sig.key_id) in by_key
        )

    def verify(self, message: bytes | str) -> VerifiedCheckpoint:
        """Verify a cosigned checkpoint note against this policy.

        Checks, in order: every signature by a known log or witness key verifies (the
        :mod:`~seawitness.tlog.note` errors otherwise); the text is a checkpoint; a
        listed log whose key name is the checkpoint origin signed it; the verified
        cosignatures meet the quorum (:class:`QuorumNotMetError` otherwise).
        """
        verifiers = [log.verifier() for log in self.logs]
        verifiers += [witness.verifier() for witness in self.witnesses]
        note = open_note(message, verifiers)
        checkpoint = Checkpoint.from_text(note.text)
        log = self._signing_log(checkpoint.origin, note.verified)
        witnessed = self.cosigners(note.verified)
        if not self.is_satisfied(witnessed):
            names = ", ".join(sorted(witnessed)) or "none"
            raise QuorumNotMetError(
                f"cosignatures from {names} do not satisfy quorum {self.quorum!r}"
            )
        return VerifiedCheckpoint(checkpoint, note, log, witnessed)

    def _signing_log(self, origin: str, verified: Iterable[NoteSignature]) -> PolicyLog:
        signed = {(sig.name, sig.key_id) for sig in verified}
        for log in self.logs:
            parsed = parse_vkey(log.vkey)
            if parsed.name == origin and (parsed.name, parsed.key_id) in signed:
                return log
        raise PolicyError(f"checkpoint for origin {origin!r} is not signed by a policy log")


# ---------------------------------------------------------------------------------------
# Parsing


def _check_characters(text: str) -> None:
    for number, line in enumerate(text.split("\n"), start=1):
        for ch in line:
            if ch < " " and ch != "\t" or ch == "\x7f":
                raise PolicyError(f"control character {ord(ch):#04x} is not allowed", number)


def _parse_key(vkey: str, allowed: tuple[int, ...], what: str, line: int) -> bytes:
    """Check a vkey and its type; return its public key (for duplicate detection)."""
    try:
        parsed = parse_vkey(vkey)
    except InvalidKeyError as exc:
        raise PolicyError(f"bad {what} key: {exc.reason}", line) from None
    if parsed.alg not in allowed:
        raise PolicyError(f"{what} key has signature type 0x{parsed.alg:02x}", line)
    return parsed.public_key


class _PolicyBuilder:
    """Accumulates policy lines, enforcing the ordering and uniqueness rules."""

    def __init__(self) -> None:
        self.logs: list[PolicyLog] = []
        self.witnesses: list[PolicyWitness] = []
        self.groups: list[PolicyGroup] = []
        self.quorum: str | None = None
        self.names: set[str] = set()
        self.used_as_member: set[str] = set()
        self.log_keys: set[bytes] = set()
        self.witness_keys: set[bytes] = set()

    def add_log(self, args: list[str], line: int) -> None:
        if not 1 <= len(args) <= 2:
            raise PolicyError("expected: log <vkey> [<url>]", line)
        key = _parse_key(args[0], _LOG_KEY_TYPES, "log", line)
        if key in self.log_keys:
            raise PolicyError("duplicate log key", line)
        self.log_keys.add(key)
        self.logs.append(PolicyLog(args[0], args[1] if len(args) == 2 else None))

    def add_witness(self, args: list[str], line: int) -> None:
        if not 2 <= len(args) <= 3:
            raise PolicyError("expected: witness <name> <vkey> [<url>]", line)
        name = args[0]
        self._define(name, line)
        key = _parse_key(args[1], _WITNESS_KEY_TYPES, "witness", line)
        if key in self.witness_keys:
            raise PolicyError(f"witness {name!r} has the same key as another witness", line)
        self.witness_keys.add(key)
        self.witnesses.append(PolicyWitness(name, args[1], args[2] if len(args) == 3 else None))

    def add_group(self, args: list[str], line: int) -> None:
        if len(args) < 3:
            raise PolicyError("expected: group <name> all|any|<k> <member>...", line)
        name, threshold_text, members = args[0], args[1], args[2:]
        for member in members:
            if member == NONE or member not in self.names:
                raise PolicyError(f"group member {member!r} is not defined above", line)
            if member in self.used_as_member:
                raise PolicyError(f"{member!r} is already a member of a group", line)
            self.used_as_member.add(member)
        if threshold_text == "all":
            threshold = len(members)
        elif threshold_text == "any":
            threshold = 1
        elif _THRESHOLD.fullmatch(threshold_text) and int(threshold_text) <= len(members):
            threshold = int(threshold_text)
        else:
            raise PolicyError(
                f"group threshold {threshold_text!r} is not all, any or 1..{len(members)}", line
            )
        self._define(name, line)
        self.groups.append(PolicyGroup(name, threshold, tuple(members)))

    def set_quorum(self, args: list[str], line: int) -> None:
        if len(args) != 1:
            raise PolicyError("expected: quorum <name>", line)
        if self.quorum is not None:
            raise PolicyError("a policy has exactly one quorum line", line)
        if args[0] != NONE and args[0] not in self.names:
            raise PolicyError(f"quorum {args[0]!r} is not defined above", line)
        self.quorum = args[0]

    def _define(self, name: str, line: int) -> None:
        if name == NONE or name in self.names:
            raise PolicyError(f"name {name!r} is already defined", line)
        self.names.add(name)

    def build(self) -> Policy:
        if self.quorum is None:
            raise PolicyError("policy has no quorum line")
        return Policy(tuple(self.logs), tuple(self.witnesses), tuple(self.groups), self.quorum)


def parse_policy(text: str | bytes) -> Policy:
    """Parse a tlog-policy file; raise :class:`PolicyError` (with a line number) if invalid.

    Bytes must be UTF-8 (names are compared as exact strings, as the spec requires).
    """
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise PolicyError("policy file is not UTF-8") from None
    _check_characters(text)
    builder = _PolicyBuilder()
    keywords = {
        "log": builder.add_log,
        "witness": builder.add_witness,
        "group": builder.add_group,
        "quorum": builder.set_quorum,
    }
    for number, raw_line in enumerate(text.split("\n"), start=1):
        line = raw_line.strip(" \t")
        if not line or line.startswith("#"):
            continue
        keyword, *args = _SEPARATOR.split(line)
        handler = keywords.get(keyword)
        if handler is None:
            raise PolicyError(f"unknown keyword {keyword!r}", number)
        handler(args, number)
    return builder.build()
