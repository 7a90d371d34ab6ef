"""The signed envelope that becomes one leaf of the log.

A lab signs *what* it says (the record), *who* says it (submitter and key id), *when*
(submission time) and *in which order* (a per-submitter sequence number, so a replayed or
reordered submission is detectable). The leaf stored in the log is the canonical JSON of
the envelope including the signature, so any single leaf with its inclusion proof shows,
on its own, who said what.

Signed message: ``b"seawitness/entry/v1\\n" + JCS(envelope without "signature")``. The
prefix separates these signatures from any other use of the same key (domain separation,
as C2SP signed notes and cosignatures do).

The log adds one member the signer does not sign: ``logged_at``, the time the log
received the entry (by its own clock, never earlier than the leaf before it). Key
validity is judged at that time, so a signer cannot backdate its way past a revocation;
the leaf, covered by the checkpoint's root, holds it for every auditor to check.

Every member has one exact JSON type (a boolean is never a number, a string never a
number) and bounded size, and leaves are built only from canonical encodings.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from seawitness.errors import InputError
from seawitness.model.canonical import canonical_bytes, parse_canonical, record_id
from seawitness.model.times import format_utc_micro, parse_instant

ENTRY_SCHEMA = "seawitness/entry/v1"
SIGNING_PREFIX = b"seawitness/entry/v1\n"
MAX_ENTRY_BYTES = 65535  # c2sp.org/tlog-tiles: entry bundle items have a uint16 length

KINDS = frozenset(
    {"measurement", "correction", "stakeholder", "key", "revocation", "grant", "ruleset", "alert"}
)


class EntryError(InputError):
    """A malformed or oversized entry."""


def _jstr(text: str) -> bytes:
    """A JSON string as RFC 8785 writes it (same escaping as json.dumps, unescaped UTF-8)."""
    if text.isascii() and text.isprintable() and '"' not in text and "\\" not in text:
        return b'"' + text.encode("ascii") + b'"'  # nothing to escape
    return json.dumps(text, ensure_ascii=False).encode("utf-8")


_RECORD_START = b',"record":'
_RECORD_END = b',"schema":"' + ENTRY_SCHEMA.encode() + b'","seq":'
#: Largest sequence number: integers beyond 2**53 are not exact in JSON (RFC 8785 §3.2.2.3).
MAX_SEQ = 2**53 - 1
#: Longest submitter name and key id (the index columns' widths).
MAX_SUBMITTER, MAX_KEY_ID = 64, 128
_ENVELOPE = frozenset(
    {"key_id", "kind", "record", "schema", "seq", "signature", "submitted_at", "submitter"}
)
_LEAF = _ENVELOPE | {"logged_at"}


def _record_bytes(data: bytes, record: Any) -> bytes:
    """The record's canonical bytes, cut out of a canonical entry.

    JCS is compositional: in canonical bytes, every member's value is the canonical
    encoding of that value, so the record need not be encoded again. The record is
    the value after the first ``,"record":`` (only ``key_id``, ``kind`` and ``logged_at``
    come before it, and a string cannot hold an unescaped quote) and before the last
    ``,"schema":"seawitness/entry/v1","seq":`` (the record may have a ``schema`` of its
    own; nothing after it can hold that text).
    """
    start = data.find(_RECORD_START)
    end = data.rfind(_RECORD_END)
    if start < 0 or end < start:
        return canonical_bytes(record)
    return data[start + len(_RECORD_START) : end]


def _text(obj: dict[str, Any], name: str, longest: int) -> str:
    v = obj[name]
    if type(v) is not str or not v:
        raise EntryError(f"{name} must be a non-empty string, not {_json_type(v)}")
    if len(v) > longest or not v.isprintable():
        raise EntryError(f"{name} must be at most {longest} printable characters")
    return v


def _json_type(v: Any) -> str:
    return {
        bool: "a boolean",
        int: "a number",
        float: "a number",
        str: "a string",
        list: "an array",
        dict: "an object",
        type(None): "null",
    }.get(type(v), "?")


def check_seq(seq: Any) -> int:
    """A sequence number: an integer (never a boolean) in 0..2**53-1."""
    if type(seq) is not int or not 0 <= seq <= MAX_SEQ:
        raise EntryError(f"seq must be an integer 0..{MAX_SEQ}, not {_json_type(seq)} {seq!r}")
    return seq


@dataclass(frozen=True, slots=True)
class Entry:
    """A signed log entry. ``record_bytes`` are the canonical bytes of the record.

    ``logged_at`` is None for an entry as its signer sends it (the envelope), and the
    time the log received it once it is a leaf.
    """

    kind: str
    record_bytes: bytes
    submitter: str
    key_id: str
    seq: int
    submitted_at: datetime
    signature: bytes = b""
    logged_at: datetime | None = None
    # The envelope's bytes around the signature, computed once (the fields are frozen).
    _parts_memo: tuple[bytes, bytes, bytes] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def signed(self, sign: Callable[[bytes], bytes]) -> Entry:
        """This entry with the signature ``sign`` makes over its signed message."""
        return self._copy(signature=sign(self.signed_message()))

    def with_signature(self, signature: bytes) -> Entry:
        """This entry carrying ``signature`` (made over :meth:`signed_message`)."""
        return self._copy(signature=signature)

    def logged(self, at: datetime) -> Entry:
        """This entry as a leaf: received by the log at ``at``."""
        return self._copy(logged_at=at)

    def _copy(self, **changes: Any) -> Entry:
        d = {
            "signature": self.signature,
            "logged_at": self.logged_at,
            **changes,
        }
        out = Entry(
            self.kind,
            self.record_bytes,
            self.submitter,
            self.key_id,
            self.seq,
            self.submitted_at,
            d["signature"],
            d["logged_at"],
        )
        object.__setattr__(out, "_parts_memo", self._parts())
        return out

    def signed_message(self) -> bytes:
        """The bytes the submitter's Ed25519 key signs."""
        head, mid, tail = self._parts()
        return SIGNING_PREFIX + head + mid + tail

    def encode(self) -> tuple[bytes, bytes]:
        """``(signed message, leaf bytes)`` computed together (the submission hot path)."""
        head, mid, tail = self._parts()
        return SIGNING_PREFIX + head + mid + tail, self._join(head, mid, tail, leaf=True)

    def _parts(self) -> tuple[bytes, bytes, bytes]:
        """The envelope in three pieces: before ``logged_at``, from ``record`` to where the
        signature goes, and after it.

        Keys in RFC 8785 order (ASCII): key_id, kind, [logged_at,] record, schema, seq,
        signature, submitted_at, submitter. Built by concatenation so the record bytes,
        which are canonical already, are not parsed and re-encoded for every entry.
        """
        memo = self._parts_memo
        if memo is None:
            memo = self._build_parts()
            object.__setattr__(self, "_parts_memo", memo)
        return memo

    def _build_parts(self) -> tuple[bytes, bytes, bytes]:
        if self.kind not in KINDS:
            raise EntryError(f"unknown entry kind {self.kind!r}")
        head = b"".join((b'{"key_id":', _jstr(self.key_id), b',"kind":', _jstr(self.kind)))
        mid = b"".join(
            (
                b',"record":',
                self.record_bytes,
                b',"schema":"',
                ENTRY_SCHEMA.encode(),
                b'","seq":',
                str(check_seq(self.seq)).encode(),
            )
        )
        tail = b"".join(
            (
                b',"submitted_at":',
                _jstr(format_utc_micro(self.submitted_at)),
                b',"submitter":',
                _jstr(self.submitter),
                b"}",
            )
        )
        return head, mid, tail

    def _join(self, head: bytes, mid: bytes, tail: bytes, *, leaf: bool) -> bytes:
        if not self.signature:
            raise EntryError("entry is not signed")
        logged = b""
        if leaf:
            if self.logged_at is None:
                raise EntryError("entry has not been logged (no logged_at)")
            logged = b',"logged_at":' + _jstr(format_utc_micro(self.logged_at))
        sig = b',"signature":"' + base64.b64encode(self.signature) + b'"'
        data = b"".join((head, logged, mid, sig, tail))
        if len(data) > MAX_ENTRY_BYTES:
            raise EntryError(
                f"entry is {len(data)} bytes; a log entry is at most {MAX_ENTRY_BYTES} bytes"
            )
        return data

    def envelope_bytes(self) -> bytes:
        """What a signer sends the log: the signed envelope, without ``logged_at``."""
        return self._join(*self._parts(), leaf=False)

    def to_bytes(self) -> bytes:
        """The leaf data: canonical JSON of the envelope with ``logged_at``, at most 64 KiB."""
        return self._join(*self._parts(), leaf=True)

    @property
    def record_id(self) -> str:
        """Content address of the record: SHA-256 hex of its canonical bytes."""
        return record_id(self.record_bytes)

    @property
    def record(self) -> Any:
        return json.loads(self.record_bytes)

    @classmethod
    def from_bytes(cls, data: bytes, *, leaf: bool | None = None) -> Entry:
        """Parse an entry; it must be canonical, complete and of exact JSON types.

        :param leaf: True: a leaf (``logged_at`` required); False: an envelope as a signer
            sends it (``logged_at`` refused: the log sets it); None: either.
        """
        if len(data) > MAX_ENTRY_BYTES:
            raise EntryError(f"entry is {len(data)} bytes; at most {MAX_ENTRY_BYTES}")
        try:
            obj = parse_canonical(data, "entry")
        except InputError as exc:
            raise EntryError(str(exc)) from None
        if not isinstance(obj, dict) or obj.get("schema") != ENTRY_SCHEMA:
            raise EntryError(f"entry must be a JSON object with schema {ENTRY_SCHEMA!r}")
        expected = _LEAF if (leaf or (leaf is None and "logged_at" in obj)) else _ENVELOPE
        if set(obj) != expected:
            extra, missing = sorted(set(obj) - expected), sorted(expected - set(obj))
            if leaf is False and "logged_at" in extra:
                raise EntryError("logged_at is set by the log, not by the signer")
            raise EntryError(f"entry fields: missing {missing}, not allowed {extra}")
        kind = _text(obj, "kind", 32)
        if kind not in KINDS:
            raise EntryError(f"unknown entry kind {kind!r}; one of {', '.join(sorted(KINDS))}")
        if type(obj["record"]) is not dict:
            raise EntryError(f"record must be a JSON object, not {_json_type(obj['record'])}")
        sig_text = obj["signature"]
        if type(sig_text) is not str:
            raise EntryError(f"signature must be a base64 string, not {_json_type(sig_text)}")
        try:
            sig = base64.b64decode(sig_text, validate=True)
        except ValueError:
            raise EntryError("signature is not valid base64") from None
        if len(sig) != 64:
            raise EntryError(f"signature must be 64 bytes (Ed25519), not {len(sig)}")
        try:
            when = parse_instant(obj["submitted_at"], field="submitted_at", naive=None)
            logged = (
                parse_instant(obj["logged_at"], field="logged_at", naive=None)
                if "logged_at" in obj
                else None
            )
        except InputError as exc:
            raise EntryError(str(exc)) from None
        return cls(
            kind=kind,
            record_bytes=_record_bytes(data, obj["record"]),
            submitter=_text(obj, "submitter", MAX_SUBMITTER),
            key_id=_text(obj, "key_id", MAX_KEY_ID),
            seq=check_seq(obj["seq"]),
            submitted_at=when,
            signature=sig,
            logged_at=logged,
        )
