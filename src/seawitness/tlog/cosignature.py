"""Witness cosignatures, as defined by c2sp.org/tlog-cosignature (``cosignature/v1``).

A cosignature is a signed-note signature of type ``0x04`` over a checkpoint. The
Ed25519 signature covers this message (every line ends with ``\\n``)::

    cosignature/v1
    time <POSIX seconds, decimal>
    <the checkpoint note text: origin, size, root hash, extension lines>

and the signature bytes carried in the note line are
``keyID[4] || timestamp (uint64 big-endian) || Ed25519 signature[64]``. This module
works on the part after the key ID (:data:`COSIGNATURE_SIZE` = 72 bytes); the key ID and
the note line are handled by :mod:`seawitness.tlog.note`, whose
:class:`~seawitness.tlog.note.CosignatureV1Signer` and
:class:`~seawitness.tlog.note.CosignatureV1Verifier` build on these functions.

The message does not include the cosigner's name, so each cosigner needs its own key.
"""

from __future__ import annotations

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from seawitness.errors import VerificationError

__all__ = [
    "ALG_COSIGNATURE_V1",
    "COSIGNATURE_SIZE",
    "COSIGNATURE_V1_LABEL",
    "MAX_TIMESTAMP",
    "CosignatureError",
    "cosignature_message",
    "decode_cosignature",
    "encode_cosignature",
    "sign_cosignature",
    "verify_cosignature",
]

ALG_COSIGNATURE_V1 = 0x04
"""Signed-note signature type of Ed25519 ``cosignature/v1`` (tlog-cosignature)."""

COSIGNATURE_V1_LABEL = "cosignature/v1"
"""First line of every signed ``cosignature/v1`` message."""

MAX_TIMESTAMP = 2**63 - 1
"""Largest timestamp a cosignature may carry (tlog-cosignature)."""

_TIMESTAMP_SIZE = 8
_ED25519_SIGNATURE_SIZE = 64
COSIGNATURE_SIZE = _TIMESTAMP_SIZE + _ED25519_SIGNATURE_SIZE
"""Bytes of a cosignature after the 4-byte key ID: timestamp and Ed25519 signature."""


class CosignatureError(VerificationError):
    """A cosignature is malformed or does not verify; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _check_timestamp(timestamp: int) -> None:
    if not 0 <= timestamp <= MAX_TIMESTAMP:
        raise CosignatureError(f"timestamp {timestamp} is not in 0..2^63-1")


def cosignature_message(checkpoint_text: str, timestamp: int) -> bytes:
    """Return the bytes an Ed25519 ``cosignature/v1`` signs (tlog-cosignature "Format")."""
    _check_timestamp(timestamp)
    if not checkpoint_text.endswith("\n"):
        raise CosignatureError("checkpoint text must end with a newline")
    return f"{COSIGNATURE_V1_LABEL}\ntime {timestamp}\n{checkpoint_text}".encode()


def encode_cosignature(timestamp: int, signature: bytes) -> bytes:
    """Return ``timestamp (uint64 BE) || signature`` (the note signature after the key ID)."""
    _check_timestamp(timestamp)
    if len(signature) != _ED25519_SIGNATURE_SIZE:
        raise CosignatureError(f"Ed25519 signature is {len(signature)} bytes, expected 64")
    return timestamp.to_bytes(_TIMESTAMP_SIZE, "big") + signature


def decode_cosignature(data: bytes) -> tuple[int, bytes]:
    """Split the bytes after the key ID into ``(timestamp, ed25519_signature)``."""
    if len(data) != COSIGNATURE_SIZE:
        raise CosignatureError(
            f"cosignature/v1 signature is {len(data)} bytes, expected {COSIGNATURE_SIZE}"
        )
    timestamp = int.from_bytes(data[:_TIMESTAMP_SIZE], "big")
    _check_timestamp(timestamp)
    return timestamp, bytes(data[_TIMESTAMP_SIZE:])


def sign_cosignature(private_key: Ed25519PrivateKey, checkpoint_text: str, timestamp: int) -> bytes:
    """Cosign a checkpoint at ``timestamp``; return the 72 bytes that follow the key ID."""
    signature = private_key.sign(cosignature_message(checkpoint_text, timestamp))
    return encode_cosignature(timestamp, signature)


def verify_cosignature(public_key: Ed25519PublicKey, checkpoint_text: str, data: bytes) -> int:
    """Verify a cosignature (the bytes after the key ID) and return its timestamp.

    Raises :class:`CosignatureError` if it is malformed or the signature does not verify.
    """
    timestamp, signature = decode_cosignature(data)
    try:
        public_key.verify(signature, cosignature_message(checkpoint_text, timestamp))
    except InvalidSignature:
        raise CosignatureError(f"cosignature at time {timestamp} does not verify") from None
    return timestamp
