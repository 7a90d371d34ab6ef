"""Opaque page cursors: the sort key of the last row of a page, signed.

A cursor is ``urlsafe-base64(payload || tag)``, where the payload is a small struct
(format version, sort direction, ``sampled_at`` in microseconds since the epoch, leaf
index, the tree size when it was made, and 8 bytes of a hash of the filters) and the tag
is the first 12 bytes of HMAC-SHA256 (RFC 2104) over it, keyed with the database's
``meta.cursor_key`` (migration 0004). A cursor a client edited, made up, or took from
another database, another filter set or another sort order is refused with a 400 that
names ``cursor``; so is one from a larger log than this one (a database that was reset).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import struct
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from seawitness.service.params import BadParameter
from seawitness.store.store import Query

__all__ = ["CursorCodec"]

_FORMAT = ">BBqqq8s"  # version, descending, sampled_at µs, leaf index, tree size, filters
_VERSION = 1
_TAG = 12
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MAX_LEN = 200


def _filters_hash(q: Query) -> bytes:
    key = repr(
        (q.station, q.nuclide, q.medium, q.org, q.depth_class, q.since, q.until, q.bbox, q.history)
    ).encode()
    return hashlib.sha256(key).digest()[:8]


@dataclass(frozen=True)
class CursorCodec:
    """Makes and reads the cursors of one database (``key``: its cursor key)."""

    key: bytes

    @classmethod
    def for_key(cls, text: str | None) -> CursorCodec:
        """The codec for a stored hex key; a random one (cursors valid until the process
        ends) for a database made before keys were stored."""
        return cls(bytes.fromhex(text) if text else secrets.token_bytes(32))

    def _tag(self, payload: bytes) -> bytes:
        return hmac.new(self.key, payload, hashlib.sha256).digest()[:_TAG]

    def make(self, q: Query, sampled_at: datetime, leaf_index: int, tree_size: int) -> str:
        """The cursor of the page after the row (``sampled_at``, ``leaf_index``)."""
        micros = (sampled_at - _EPOCH) // timedelta(microseconds=1)
        payload = struct.pack(
            _FORMAT, _VERSION, q.descending, micros, leaf_index, tree_size, _filters_hash(q)
        )
        return base64.urlsafe_b64encode(payload + self._tag(payload)).decode().rstrip("=")

    def read(self, text: str, q: Query, tree_size: int) -> tuple[datetime, int]:
        """The (sampled_at, leaf_index) key a cursor starts after, for query ``q``."""
        bad = "is not a cursor this server gave for this query; start again without it"
        if len(text) > _MAX_LEN:
            raise BadParameter("cursor", bad)
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        except (binascii.Error, ValueError):
            raise BadParameter("cursor", bad) from None
        size = struct.calcsize(_FORMAT)
        if len(raw) != size + _TAG:
            raise BadParameter("cursor", bad)
        payload, tag = raw[:size], raw[size:]
        if not hmac.compare_digest(tag, self._tag(payload)):
            raise BadParameter("cursor", bad)
        version, desc, micros, leaf, made_at, filters = struct.unpack(_FORMAT, payload)
        if version != _VERSION or filters != _filters_hash(q) or bool(desc) != q.descending:
            raise BadParameter(
                "cursor", "was made for other filters or another sort order; start again"
            )
        if made_at > tree_size:
            raise BadParameter("cursor", "is from a larger log than this one; start again")
        return _EPOCH + timedelta(microseconds=micros), leaf
