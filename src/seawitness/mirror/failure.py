"""The error of a failed audit: the first problem found, with where it is."""

from __future__ import annotations

from seawitness.errors import VerificationError

__all__ = ["AuditFailure"]


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
