"""The signed envelope that becomes one leaf of the log.

A lab signs *what* it says (the record), *who* says it (submitter and key id), *when*
(submission time) and *in which order* (a per-submitter sequence number, so a replayed or
reordered submission is detectable). The leaf stored in the log is the canonical JSON of
the envelope including the signature, so any single leaf with its inclusion proof shows,
on its own, who said what.

Signed message: ``b"seawitness/entry/v1\\n" + JCS(envelope without "signature")``. The
prefix separates these signatures from any other use of the same key (domain separation,
as C2SP signed notes and cosignatures do).
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
    {"measurement", "correction", "stakeholder", "key", "revocation", "ruleset", "alert"}
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


def _record_bytes(data: bytes, record: Any) -> bytes:
    """The record's canonical bytes, cut out of a canonical entry.

    JCS is compositional: in canonical bytes, every member's value is the canonical
    encoding of that value, so the record need not be encoded again. The record is
    the value after the first ``,"record":`` (only ``key_id`` and ``kind`` come before
    it, and a string cannot hold an unescaped quote) and before the last
    ``,"schema":"seawitness/entry/v1","seq":`` (the record may have a ``schema`` of its
    own; nothing after it can hold that text).
    """
    start = data.find(_RECORD_START)
    end = data.rfind(_RECORD_END)
    if start < 0 or end < start:
        return canonical_bytes(record)
    return data[start + len(_RECORD_START) : end]


@dataclass(frozen=True, slots=True)
class Entry:
    """A signed log entry. ``record_bytes`` are the canonical bytes of the record."""

    kind: str
    record_bytes: bytes
    submitter: str
    key_id: str
    seq: int
    submitted_at: datetime
    signature: bytes = b""
    # The envelope's bytes around the signature, computed once (the fields are frozen).
    _halves_memo: tuple[bytes, bytes] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def signed(self, sign: Callable[[bytes], bytes]) -> Entry:
        """This entry with the signature ``sign`` makes over its signed message."""
        return self.with_signature(sign(self.signed_message()))

    def with_signature(self, signature: bytes) -> Entry:
        """This entry carrying ``signature`` (made over :meth:`signed_message`)."""
        out = Entry(
            self.kind,
            self.record_bytes,
            self.submitter,
            self.key_id,
            self.seq,
            self.submitted_at,
            signature,
        )
        object.__setattr__(out, "_halves_memo", self._halves())
        return out

    def signed_message(self) -> bytes:
        """The bytes the submitter's Ed25519 key signs."""
        head, tail = self._halves()
        return SIGNING_PREFIX + head + tail

    def encode(self) -> tuple[bytes, bytes]:
        """``(signed message, leaf bytes)`` computed together (the submission hot path)."""
        head, tail = self._halves()
        return SIGNING_PREFIX + head + tail, self._leaf(head, tail)

    def _halves(self) -> tuple[bytes, bytes]:
        """The envelope before and after where the signature goes.

        Keys in RFC 8785 order (ASCII): key_id, kind, record, schema, seq, signature,
        submitted_at, submitter. Built by concatenation so the record bytes, which are
        canonical already, are not parsed and re-encoded for every entry.
        """
        memo = self._halves_memo
        if memo is None:
            memo = self._build_halves()
            object.__setattr__(self, "_halves_memo", memo)
        return memo

    def _build_halves(self) -> tuple[bytes, bytes]:
        if self.kind not in KINDS:
            raise EntryError(f"unknown entry kind {self.kind!r}")
        head = b"".join(
            (
                b'{"key_id":',
                _jstr(self.key_id),
                b',"kind":',
                _jstr(self.kind),
                b',"record":',
                self.record_bytes,
                b',"schema":"',
                ENTRY_SCHEMA.encode(),
                b'","seq":',
                str(self.seq).encode(),
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
        return head, tail

    def _leaf(self, head: bytes, tail: bytes) -> bytes:
        if not self.signature:
            raise EntryError("entry is not signed")
        data = b"".join((head, b',"signature":"', base64.b64encode(self.signature), b'"', tail))
        if len(data) > MAX_ENTRY_BYTES:
            raise EntryError(
                f"entry is {len(data)} bytes; a log entry is at most {MAX_ENTRY_BYTES} bytes"
            )
        return data

    def to_bytes(self) -> bytes:
        """The leaf data: canonical JSON of the whole envelope, at most 64 KiB."""
        return self._leaf(*self._halves())

    @property
    def record_id(self) -> str:
        """Content address of the record: SHA-256 hex of its canonical bytes."""
        return record_id(self.record_bytes)

    @property
    def record(self) -> dict[str, Any]:
        return json.loads(self.record_bytes)

    @classmethod
    def from_bytes(cls, data: bytes) -> Entry:
        """Parse leaf data; it must be canonical and complete."""
        if len(data) > MAX_ENTRY_BYTES:
            raise EntryError(f"entry is {len(data)} bytes; at most {MAX_ENTRY_BYTES}")
        try:
            obj = parse_canonical(data)
        except ValueError as exc:
            raise EntryError(f"entry is not canonical JSON: {exc}") from None
        if not isinstance(obj, dict) or obj.get("schema") != ENTRY_SCHEMA:
            raise EntryError(f"entry schema must be {ENTRY_SCHEMA!r}")
        expected = {
            "key_id",
            "kind",
            "record",
            "schema",
            "seq",
            "signature",
            "submitted_at",
            "submitter",
        }
        if set(obj) != expected:
            raise EntryError(f"entry fields must be {sorted(expected)}, got {sorted(obj)}")
        try:
            sig = base64.b64decode(obj["signature"], validate=True)
            when = parse_instant(obj["submitted_at"], field="submitted_at", naive=None)
        except ValueError as exc:
            raise EntryError(f"bad signature or time: {exc}") from None
        if not isinstance(obj["seq"], int) or obj["seq"] < 0:
            raise EntryError("seq must be a non-negative integer")
        return cls(
            kind=obj["kind"],
            record_bytes=_record_bytes(data, obj["record"]),
            submitter=obj["submitter"],
            key_id=obj["key_id"],
            seq=obj["seq"],
            submitted_at=when,
            signature=sig,
        )
