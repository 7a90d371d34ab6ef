"""Checkpoints, as defined by c2sp.org/tlog-checkpoint.

A checkpoint is the text of a signed note (see :mod:`seawitness.tlog.note`)::

    <origin>
    <tree size, decimal, no leading zeros>
    <base64 of the 32-byte RFC 9162 root hash>
    [<extension line>]...

Each line ends with a newline. Parsing is strict: at least three lines, no empty line,
a size that fits in a uint64 and a canonical base64 root of exactly 32 bytes.
Extension lines are supported for reading, but this project emits none.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable
from dataclasses import dataclass

from seawitness.errors import VerificationError
from seawitness.tlog.merkle import HASH_SIZE, MAX_TREE_SIZE
from seawitness.tlog.note import Signer, VerifiedNote, Verifier, open_note, sign_note

__all__ = [
    "Checkpoint",
    "CheckpointError",
    "open_checkpoint",
    "sign_checkpoint",
]

_SIZE_PATTERN = re.compile(r"(0|[1-9][0-9]*)")


class CheckpointError(VerificationError):
    """A checkpoint is malformed or does not match what was expected; see ``reason``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _check_line(what: str, line: str) -> None:
    if not line:
        raise CheckpointError(f"checkpoint {what} is empty")
    if any(ch < " " for ch in line):
        raise CheckpointError(f"checkpoint {what} contains a control character")


@dataclass(frozen=True)
class Checkpoint:
    """A log checkpoint: origin, tree size, root hash and (discouraged) extension lines."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_line("origin", self.origin)
        if not 0 <= self.size <= MAX_TREE_SIZE:
            raise CheckpointError(f"tree size {self.size} is not an unsigned 64-bit integer")
        if len(self.root_hash) != HASH_SIZE:
            raise CheckpointError(f"root hash is {len(self.root_hash)} bytes, expected 32")
        for line in self.extensions:
            _check_line("extension line", line)

    def to_text(self) -> str:
        """Return the note text of this checkpoint (each line ends with a newline)."""
        root = base64.b64encode(self.root_hash).decode("ascii")
        lines = [self.origin, str(self.size), root, *self.extensions]
        return "".join(f"{line}\n" for line in lines)

    @classmethod
    def from_text(cls, text: str) -> Checkpoint:
        """Parse checkpoint note text; raise :class:`CheckpointError` if it is malformed."""
        if not text.endswith("\n"):
            raise CheckpointError("checkpoint text must end with a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise CheckpointError(f"checkpoint has {len(lines)} lines, expected at least 3")
        origin, size_text, root_text, *extensions = lines
        if not _SIZE_PATTERN.fullmatch(size_text):
            raise CheckpointError(f"checkpoint tree size {size_text!r} is not a decimal number")
        try:
            root_hash = base64.b64decode(root_text.encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError):
            raise CheckpointError(f"checkpoint root hash {root_text!r} is not base64") from None
        if base64.b64encode(root_hash).decode("ascii") != root_text:
            raise CheckpointError(f"checkpoint root hash {root_text!r} is not canonical base64")
        return cls(origin, int(size_text), root_hash, tuple(extensions))


def sign_checkpoint(checkpoint: Checkpoint, *signers: Signer) -> str:
    """Sign a checkpoint and return the signed note."""
    return sign_note(checkpoint.to_text(), *signers)


def open_checkpoint(
    message: bytes | str, verifiers: Iterable[Verifier], *, origin: str | None = None
) -> tuple[Checkpoint, VerifiedNote]:
    """Verify a signed checkpoint note and parse its text.

    Raises the :mod:`~seawitness.tlog.note` errors if the signatures do not verify, and
    :class:`CheckpointError` if the text is not a checkpoint or its origin is not
    ``origin`` (when given).
    """
    note = open_note(message, verifiers)
    checkpoint = Checkpoint.from_text(note.text)
    if origin is not None and checkpoint.origin != origin:
        raise CheckpointError(f"checkpoint origin {checkpoint.origin!r}, expected {origin!r}")
    return checkpoint, note
