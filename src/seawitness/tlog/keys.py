"""Ed25519 key helpers: generate, identify, store, load, sign and verify.

Signatures are pure Ed25519 (RFC 8032 §5.1, no context). Key strings (vkeys and
Go-style signer keys) and key IDs come from :mod:`seawitness.tlog.note`
(c2sp.org/signed-note). Private keys are written with file mode 0600, either as PKCS#8
PEM or as the raw 32-byte seed.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from seawitness.tlog.note import (
    ALG_ED25519,
    format_skey,
    format_vkey,
    key_id,
    signer_from_skey,
    verifier_from_vkey,
)

__all__ = [
    "PRIVATE_KEY_FILE_MODE",
    "format_skey",
    "format_vkey",
    "generate_keypair",
    "generate_private_key",
    "key_id",
    "load_private_key",
    "private_key_seed",
    "public_key_bytes",
    "save_private_key",
    "sign",
    "signer_from_skey",
    "skey_for",
    "verifier_from_vkey",
    "verify",
    "vkey_for",
]

PRIVATE_KEY_FILE_MODE = 0o600
"""File mode of saved private keys: readable and writable by the owner only."""

_SEED_SIZE = 32
_PUBLIC_KEY_SIZE = 32


def generate_private_key() -> Ed25519PrivateKey:
    """Generate a new Ed25519 private key."""
    return Ed25519PrivateKey.generate()


def generate_keypair() -> tuple[Ed25519PrivateKey, bytes]:
    """Generate a new Ed25519 key pair; return the private key and the raw public key."""
    private_key = Ed25519PrivateKey.generate()
    return private_key, public_key_bytes(private_key)


def public_key_bytes(private_key: Ed25519PrivateKey) -> bytes:
    """Return the 32-byte raw public key of a private key."""
    return private_key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )


def private_key_seed(private_key: Ed25519PrivateKey) -> bytes:
    """Return the 32-byte seed (RFC 8032 "secret key") of a private key."""
    return private_key.private_bytes(
        serialization.Encoding.Raw,
        serialization.PrivateFormat.Raw,
        serialization.NoEncryption(),
    )


def vkey_for(name: str, private_key: Ed25519PrivateKey, alg: int = ALG_ED25519) -> str:
    """Return the vkey string of ``private_key`` for key type ``alg`` (0x01 or 0x04)."""
    return format_vkey(name, alg, public_key_bytes(private_key))


def skey_for(name: str, private_key: Ed25519PrivateKey) -> str:
    """Return the Go-style ``PRIVATE+KEY+...`` signer key string of ``private_key``."""
    return format_skey(name, private_key_seed(private_key))


def save_private_key(
    path: str | os.PathLike[str],
    private_key: Ed25519PrivateKey,
    *,
    encoding: Literal["pem", "raw"] = "pem",
    overwrite: bool = False,
) -> None:
    """Write a private key readable only by its owner (mode 0600).

    ``encoding="pem"`` writes unencrypted PKCS#8 PEM; ``"raw"`` writes the 32-byte seed.
    An existing file is replaced only with ``overwrite=True``.
    """
    if encoding == "pem":
        data = private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    elif encoding == "raw":
        data = private_key_seed(private_key)
    else:
        raise ValueError(f"unknown key encoding {encoding!r}")
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if overwrite else os.O_EXCL)
    fd = os.open(path, flags, PRIVATE_KEY_FILE_MODE)
    with os.fdopen(fd, "wb") as handle:
        os.fchmod(handle.fileno(), PRIVATE_KEY_FILE_MODE)
        handle.write(data)


def load_private_key(path: str | os.PathLike[str]) -> Ed25519PrivateKey:
    """Read a private key written by :func:`save_private_key` (PEM or raw seed)."""
    data = Path(path).read_bytes()
    if len(data) == _SEED_SIZE:
        return Ed25519PrivateKey.from_private_bytes(data)
    key = serialization.load_pem_private_key(data, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{os.fspath(path)} does not hold an Ed25519 private key")
    return key


def sign(private_key: Ed25519PrivateKey, message: bytes) -> bytes:
    """Return the 64-byte Ed25519 signature of ``message``."""
    return private_key.sign(message)


def verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """Whether ``signature`` is a valid Ed25519 signature of ``message`` by ``public_key``.

    Malformed keys or signatures give ``False``, never an exception.
    """
    if len(public_key) != _PUBLIC_KEY_SIZE:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True
