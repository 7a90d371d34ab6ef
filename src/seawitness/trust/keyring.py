"""Keys on disk: the instance's log key, its administrator key and stakeholders' keys.

Private keys are stored as signed-note private key strings
(``PRIVATE+KEY+<name>+<hash>+<base64>``, as golang.org/x/mod/sumdb/note writes them) in
files of mode 0600; the matching verifier key (``<name>+<hash>+<base64>``, c2sp.org/
signed-note) sits beside them in ``<name>.pub``. The key id used in log entries is
``<name>+<hash>``: the key name and the 4-byte key hash, as in the verifier key.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from seawitness.errors import ConfigError
from seawitness.tlog.keys import generate_private_key
from seawitness.tlog.note import Ed25519Signer, NoteError, signer_from_skey


class KeyFileError(ConfigError):
    """A key file is missing, unreadable or has unsafe permissions."""


@dataclass(frozen=True)
class KeyPair:
    """An Ed25519 signing key with its signed-note name."""

    signer: Ed25519Signer

    @property
    def name(self) -> str:
        return self.signer.name

    @property
    def vkey(self) -> str:
        return self.signer.vkey

    @property
    def key_id(self) -> str:
        """``name+hash``: the key name and 8-hex-digit key hash of the verifier key."""
        return f"{self.signer.name}+{self.signer.key_id.hex()}"

    @property
    def public_bytes(self) -> bytes:
        return self.signer.public_key

    def sign(self, message: bytes) -> bytes:
        return self.signer.sign(message)


def key_name(text: str) -> str:
    """A valid signed-note key name for an organisation or person (no spaces, no '+')."""
    name = re.sub(r"[\s+]+", "_", text.strip())
    if not name:
        raise KeyFileError("a key needs a non-empty name")
    return name


def generate(name: str) -> tuple[KeyPair, str]:
    """Make a new Ed25519 key named ``name``; return it and its private key string."""
    signer = Ed25519Signer(key_name(name), generate_private_key())
    return KeyPair(signer), signer.skey


def save(directory: Path, name: str, skey: str, vkey: str) -> Path:
    """Write ``<name>.key`` (mode 0600) and ``<name>.pub``; refuse to overwrite."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{file_name(name)}.key"
    if path.exists():
        raise KeyFileError(f"{path} exists; refusing to overwrite a private key")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(skey + "\n")
    (directory / f"{file_name(name)}.pub").write_text(vkey + "\n")
    return path


def load(path: Path) -> KeyPair:
    """Load a private key file written by :func:`save`."""
    try:
        skey = path.read_text().strip()
    except OSError as exc:
        raise KeyFileError(f"cannot read key file {path}: {exc.strerror}") from None
    if os.name == "posix" and path.stat().st_mode & 0o077:
        raise KeyFileError(f"{path} is readable by others; run: chmod 600 {path}")
    try:
        return KeyPair(signer_from_skey(skey))
    except (NoteError, ValueError) as exc:
        raise KeyFileError(f"{path} is not a seawitness private key: {exc}") from None


def file_name(name: str) -> str:
    return key_name(name).replace("/", "_")
