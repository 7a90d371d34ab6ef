"""Signed notes, as defined by c2sp.org/signed-note (from golang.org/x/mod/sumdb/note).

A note is UTF-8 text, a blank line, and one or more signature lines::

    <text, ending in a newline>

    — <key name> <base64(key ID[4] || signature)>

The key ID is ``SHA-256(key name || "\\n" || signature type || public key)[:4]``
(signed-note "Signatures"), except for ECDSA (type ``0x02``) where it is the first four
bytes of the SHA-256 of the DER public key. Supported signature types:

* ``0x01`` Ed25519 over the note text: :class:`Ed25519Signer`, :class:`Ed25519Verifier`;
* ``0x02`` ECDSA P-256 / SHA-256 (Rekor v1 checkpoints), verify only:
  :class:`ECDSAVerifier`;
* ``0x04`` Ed25519 ``cosignature/v1`` (c2sp.org/tlog-cosignature):
  :class:`CosignatureV1Signer`, :class:`CosignatureV1Verifier`.

Verifier keys ("vkeys") are ``<name>+<hex key ID>+<base64(type || public key)>``; Go's
signer keys are ``PRIVATE+KEY+<name>+<hex key ID>+<base64(0x01 || seed)>``.

:func:`open_note` follows Go's ``note.Open``: signatures from unknown keys are ignored
(but kept in :attr:`VerifiedNote.unverified`); a signature from a known key that fails
rejects the whole note; a note with no verified signature is rejected.

Exceptions::

    NoteError (seawitness.errors.VerificationError)
    ├── MalformedNoteError      syntax error in a note
    ├── UnverifiedNoteError     well-formed, but no signature from a known key
    ├── InvalidSignatureError   a known key's signature does not verify
    └── InvalidKeyError         a malformed vkey or skey, or a key ID mismatch
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import NamedTuple, Protocol

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from seawitness.errors import VerificationError
from seawitness.tlog.cosignature import (
    ALG_COSIGNATURE_V1,
    CosignatureError,
    sign_cosignature,
    verify_cosignature,
)

__all__ = [
    "ALG_COSIGNATURE_V1",
    "ALG_ECDSA",
    "ALG_ED25519",
    "MAX_SIGNATURES",
    "SIGNATURE_LINE_PREFIX",
    "CosignatureV1Signer",
    "CosignatureV1Verifier",
    "ECDSAVerifier",
    "Ed25519Signer",
    "Ed25519Verifier",
    "InvalidKeyError",
    "InvalidSignatureError",
    "MalformedNoteError",
    "Note",
    "NoteError",
    "NoteSignature",
    "Signer",
    "UnverifiedNoteError",
    "Verifier",
    "VerifiedNote",
    "VerifierKey",
    "format_skey",
    "format_vkey",
    "is_valid_key_name",
    "key_id",
    "open_note",
    "parse_note",
    "parse_vkey",
    "sign_note",
    "signer_from_skey",
    "verifier_from_vkey",
]

ALG_ED25519 = 0x01
"""Signature type of plain Ed25519 note signatures."""

ALG_ECDSA = 0x02
"""Signature type of ECDSA note signatures (key ID derived from the DER public key)."""

MAX_SIGNATURES = 100
"""Most signature lines :func:`open_note` accepts (the spec requires at least 16)."""

SIGNATURE_LINE_PREFIX = "\u2014 "
"""Every signature line starts with U+2014 EM DASH and a space."""

_KEY_ID_SIZE = 4
_ED25519_KEY_SIZE = 32
_SKEY_PREFIX = "PRIVATE+KEY+"


class NoteError(VerificationError):
    """Base class of signed-note errors; ``reason`` holds a human-readable explanation."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class MalformedNoteError(NoteError):
    """The note does not follow the signed-note syntax."""


class UnverifiedNoteError(NoteError):
    """The note is well-formed but carries no signature from a known key."""


class InvalidSignatureError(NoteError):
    """A signature from a known key (matching name and key ID) does not verify."""

    def __init__(self, name: str, key_id: bytes) -> None:
        super().__init__(f"invalid signature for key {name}+{key_id.hex()}")
        self.name = name
        self.key_id = key_id


class InvalidKeyError(NoteError):
    """A verifier or signer key string is malformed or its key ID does not match."""


# ---------------------------------------------------------------------------------------
# Key names and key IDs


def is_valid_key_name(name: str) -> bool:
    """Whether ``name`` may name a key: non-empty, no Unicode spaces and no ``+``."""
    return bool(name) and "+" not in name and not any(ch.isspace() for ch in name)


def key_id(name: str, alg: int, public_key: bytes) -> bytes:
    """Return ``SHA-256(name || "\\n" || alg || public_key)[:4]`` (signed-note).

    This is the key ID of Ed25519 (0x01) and cosignature/v1 (0x04) keys.
    """
    digest = hashlib.sha256(name.encode() + b"\n" + bytes([alg]) + public_key).digest()
    return digest[:_KEY_ID_SIZE]


def _ecdsa_key_id(public_key_der: bytes) -> bytes:
    """Key ID of an ECDSA key: ``SHA-256(DER SubjectPublicKeyInfo)[:4]``."""
    return hashlib.sha256(public_key_der).digest()[:_KEY_ID_SIZE]


def _b64decode(text: str) -> bytes:
    """Strict standard base64 (RFC 4648 §4, padded)."""
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise ValueError(f"bad base64: {exc}") from None


def _b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


# ---------------------------------------------------------------------------------------
# Signers and verifiers


class Verifier(Protocol):
    """Verifies signatures by one key, identified by its name and 4-byte key ID."""

    @property
    def name(self) -> str:
        """The key name."""
        ...

    @property
    def key_id(self) -> bytes:
        """The 4-byte key ID."""
        ...

    def verify(self, text: bytes, signature: bytes) -> bool:
        """Whether ``signature`` (without the key ID) is valid for the note ``text``."""
        ...


class Signer(Protocol):
    """Signs note texts with one key, identified by its name and 4-byte key ID."""

    @property
    def name(self) -> str:
        """The key name."""
        ...

    @property
    def key_id(self) -> bytes:
        """The 4-byte key ID."""
        ...

    def sign(self, text: bytes) -> bytes:
        """Return the signature (without the key ID) of the note ``text``."""
        ...


def _check_name(name: str) -> None:
    if not is_valid_key_name(name):
        raise InvalidKeyError(f"invalid key name {name!r}")


def _load_ed25519_public(public_key: bytes) -> Ed25519PublicKey:
    if len(public_key) != _ED25519_KEY_SIZE:
        raise InvalidKeyError(f"Ed25519 public key is {len(public_key)} bytes, expected 32")
    return Ed25519PublicKey.from_public_bytes(public_key)


class Ed25519Verifier:
    """Verifies Ed25519 (type 0x01) note signatures."""

    alg = ALG_ED25519

    def __init__(self, name: str, public_key: bytes) -> None:
        _check_name(name)
        self._key = _load_ed25519_public(public_key)
        self.name = name
        self.public_key = bytes(public_key)
        self.key_id = key_id(name, self.alg, self.public_key)

    @property
    def vkey(self) -> str:
        """This key as a vkey string."""
        return format_vkey(self.name, self.alg, self.public_key)

    def verify(self, text: bytes, signature: bytes) -> bool:
        """Whether ``signature`` is a valid Ed25519 signature of ``text``."""
        try:
            self._key.verify(signature, text)
        except InvalidSignature:
            return False
        return True


class Ed25519Signer:
    """Signs notes with an Ed25519 key (type 0x01)."""

    alg = ALG_ED25519

    def __init__(self, name: str, private_key: Ed25519PrivateKey) -> None:
        _check_name(name)
        self.name = name
        self._key = private_key
        self.public_key = _public_bytes(private_key)
        self.key_id = key_id(name, self.alg, self.public_key)

    @classmethod
    def from_skey(cls, skey: str) -> Ed25519Signer:
        """Load a signer from a ``PRIVATE+KEY+...`` string (see :func:`signer_from_skey`)."""
        return signer_from_skey(skey)

    @property
    def skey(self) -> str:
        """This key as a Go-style signer key string (secret!)."""
        return format_skey(self.name, _seed_bytes(self._key))

    @property
    def vkey(self) -> str:
        """The matching verifier key string."""
        return format_vkey(self.name, self.alg, self.public_key)

    def verifier(self) -> Ed25519Verifier:
        """Return the matching verifier."""
        return Ed25519Verifier(self.name, self.public_key)

    def cosigner(self) -> CosignatureV1Signer:
        """The same key as a ``cosignature/v1`` witness signer (type 0x04)."""
        return CosignatureV1Signer(self.name, self._key)

    def sign(self, text: bytes) -> bytes:
        """Return the Ed25519 signature of ``text``."""
        return self._key.sign(text)


class ECDSAVerifier:
    """Verifies ECDSA P-256 / SHA-256 (type 0x02) note signatures, as Rekor v1 made them.

    The public key is a DER SubjectPublicKeyInfo; the signature is ASN.1 DER.
    """

    alg = ALG_ECDSA

    def __init__(self, name: str, public_key_der: bytes) -> None:
        _check_name(name)
        try:
            key = serialization.load_der_public_key(public_key_der)
        except (ValueError, UnsupportedAlgorithm):
            raise InvalidKeyError("ECDSA public key is not a DER public key") from None
        if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
            raise InvalidKeyError("ECDSA note keys must be P-256 public keys")
        self._key = key
        self.name = name
        self.public_key = bytes(public_key_der)
        self.key_id = _ecdsa_key_id(self.public_key)

    @property
    def vkey(self) -> str:
        """This key as a vkey string."""
        return f"{self.name}+{self.key_id.hex()}+{_b64encode(bytes([self.alg]) + self.public_key)}"

    def verify(self, text: bytes, signature: bytes) -> bool:
        """Whether ``signature`` is a valid DER ECDSA-SHA256 signature of ``text``."""
        try:
            self._key.verify(signature, text, ec.ECDSA(hashes.SHA256()))
        except (InvalidSignature, ValueError):
            return False
        return True


class CosignatureV1Verifier:
    """Verifies Ed25519 ``cosignature/v1`` (type 0x04) witness cosignatures.

    The note text must be a checkpoint; see :mod:`seawitness.tlog.cosignature`.
    """

    alg = ALG_COSIGNATURE_V1

    def __init__(self, name: str, public_key: bytes) -> None:
        _check_name(name)
        self._key = _load_ed25519_public(public_key)
        self.name = name
        self.public_key = bytes(public_key)
        self.key_id = key_id(name, self.alg, self.public_key)

    @property
    def vkey(self) -> str:
        """This key as a vkey string (type byte 0x04)."""
        return format_vkey(self.name, self.alg, self.public_key)

    def verify(self, text: bytes, signature: bytes) -> bool:
        """Whether ``signature`` (timestamp || Ed25519 signature) cosigns ``text``."""
        try:
            verify_cosignature(self._key, text.decode(), signature)
        except (CosignatureError, UnicodeDecodeError):
            return False
        return True

    def timestamp(self, text: bytes, signature: bytes) -> int:
        """Verify a cosignature and return its timestamp; raise on failure."""
        try:
            return verify_cosignature(self._key, text.decode(), signature)
        except (CosignatureError, UnicodeDecodeError):
            raise InvalidSignatureError(self.name, self.key_id) from None


class CosignatureV1Signer:
    """Cosigns checkpoints with an Ed25519 key as a ``cosignature/v1`` (type 0x04) witness.

    ``clock`` returns the current POSIX time; each signature carries ``int(clock())``.
    """

    alg = ALG_COSIGNATURE_V1

    def __init__(
        self,
        name: str,
        private_key: Ed25519PrivateKey,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        _check_name(name)
        self.name = name
        self._key = private_key
        self._clock = clock
        self.public_key = _public_bytes(private_key)
        self.key_id = key_id(name, self.alg, self.public_key)

    @classmethod
    def from_skey(cls, skey: str, *, clock: Callable[[], float] = time.time) -> CosignatureV1Signer:
        """Use the Ed25519 key of a ``PRIVATE+KEY+...`` string as a cosigning key."""
        ed25519_signer = signer_from_skey(skey)
        return cls(ed25519_signer.name, ed25519_signer._key, clock=clock)

    @property
    def vkey(self) -> str:
        """The matching verifier key string (type byte 0x04)."""
        return format_vkey(self.name, self.alg, self.public_key)

    def verifier(self) -> CosignatureV1Verifier:
        """Return the matching verifier."""
        return CosignatureV1Verifier(self.name, self.public_key)

    def sign(self, text: bytes) -> bytes:
        """Cosign the checkpoint ``text`` at the current time."""
        return self.sign_at(text, int(self._clock()))

    def sign_at(self, text: bytes, timestamp: int) -> bytes:
        """Cosign the checkpoint ``text`` at ``timestamp`` (POSIX seconds)."""
        return sign_cosignature(self._key, text.decode(), timestamp)


def _public_bytes(private_key: Ed25519PrivateKey) -> bytes:
    return private_key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )


def _seed_bytes(private_key: Ed25519PrivateKey) -> bytes:
    return private_key.private_bytes(
        serialization.Encoding.Raw,
        serialization.PrivateFormat.Raw,
        serialization.NoEncryption(),
    )


# ---------------------------------------------------------------------------------------
# Key strings


class VerifierKey(NamedTuple):
    """The parts of a vkey string, after its key ID has been checked."""

    name: str
    key_id: bytes
    alg: int
    public_key: bytes


def format_vkey(name: str, alg: int, public_key: bytes) -> str:
    """Return ``<name>+<hex key ID>+<base64(alg || public_key)>`` for a 0x01/0x04 key."""
    _check_name(name)
    return f"{name}+{key_id(name, alg, public_key).hex()}+{_b64encode(bytes([alg]) + public_key)}"


def format_skey(name: str, seed: bytes) -> str:
    """Return Go's ``PRIVATE+KEY+<name>+<hex key ID>+<base64(0x01 || seed)>`` string."""
    _check_name(name)
    if len(seed) != _ED25519_KEY_SIZE:
        raise InvalidKeyError(f"Ed25519 seed is {len(seed)} bytes, expected 32")
    public_key = _public_bytes(Ed25519PrivateKey.from_private_bytes(seed))
    hex_id = key_id(name, ALG_ED25519, public_key).hex()
    return f"{_SKEY_PREFIX}{name}+{hex_id}+{_b64encode(bytes([ALG_ED25519]) + seed)}"


def _split_key_string(text: str, what: str) -> tuple[str, bytes, bytes]:
    """Split ``<name>+<hex id>+<base64 key>`` into its name, key ID and decoded key."""
    name, _, rest = text.partition("+")
    hex_id, _, key64 = rest.partition("+")
    if not is_valid_key_name(name):
        raise InvalidKeyError(f"{what} has an invalid key name {name!r}")
    if len(hex_id) != 2 * _KEY_ID_SIZE or hex_id != hex_id.lower():
        raise InvalidKeyError(f"{what} key ID {hex_id!r} is not 8 lowercase hex digits")
    try:
        claimed_id = bytes.fromhex(hex_id)
        key = _b64decode(key64)
    except ValueError:
        raise InvalidKeyError(f"{what} has a malformed key ID or key") from None
    if not key:
        raise InvalidKeyError(f"{what} has an empty key")
    return name, claimed_id, key


def parse_vkey(vkey: str) -> VerifierKey:
    """Parse a vkey string and check that its key ID matches its name and key."""
    name, claimed_id, key = _split_key_string(vkey, "vkey")
    alg, public_key = key[0], key[1:]
    if alg in (ALG_ED25519, ALG_COSIGNATURE_V1):
        if len(public_key) != _ED25519_KEY_SIZE:
            raise InvalidKeyError(f"Ed25519 public key is {len(public_key)} bytes, expected 32")
        expected_id = key_id(name, alg, public_key)
    elif alg == ALG_ECDSA:
        expected_id = _ecdsa_key_id(public_key)
    else:
        raise InvalidKeyError(f"vkey has unsupported signature type 0x{alg:02x}")
    if claimed_id != expected_id:
        raise InvalidKeyError(
            f"vkey key ID {claimed_id.hex()} does not match its key ({expected_id.hex()})"
        )
    return VerifierKey(name, claimed_id, alg, public_key)


def verifier_from_vkey(vkey: str) -> Ed25519Verifier | ECDSAVerifier | CosignatureV1Verifier:
    """Return a verifier for a vkey string of type 0x01, 0x02 or 0x04."""
    parsed = parse_vkey(vkey)
    if parsed.alg == ALG_ED25519:
        return Ed25519Verifier(parsed.name, parsed.public_key)
    if parsed.alg == ALG_ECDSA:
        return ECDSAVerifier(parsed.name, parsed.public_key)
    return CosignatureV1Verifier(parsed.name, parsed.public_key)


def signer_from_skey(skey: str) -> Ed25519Signer:
    """Return the Ed25519 signer of a Go-style ``PRIVATE+KEY+...`` signer key string."""
    if not skey.startswith(_SKEY_PREFIX):
        raise InvalidKeyError("signer key does not start with PRIVATE+KEY+")
    name, claimed_id, key = _split_key_string(skey[len(_SKEY_PREFIX) :], "signer key")
    alg, seed = key[0], key[1:]
    if alg != ALG_ED25519:
        raise InvalidKeyError(f"signer key has unsupported signature type 0x{alg:02x}")
    if len(seed) != _ED25519_KEY_SIZE:
        raise InvalidKeyError(f"Ed25519 seed is {len(seed)} bytes, expected 32")
    signer = Ed25519Signer(name, Ed25519PrivateKey.from_private_bytes(seed))
    if signer.key_id != claimed_id:
        raise InvalidKeyError(
            f"signer key ID {claimed_id.hex()} does not match its key ({signer.key_id.hex()})"
        )
    return signer


# ---------------------------------------------------------------------------------------
# Notes


@dataclass(frozen=True)
class NoteSignature:
    """One signature line: key name, 4-byte key ID and signature bytes."""

    name: str
    key_id: bytes
    signature: bytes

    @property
    def line(self) -> str:
        """The signature line, ``— <name> <base64(key ID || signature)>\\n``."""
        return f"{SIGNATURE_LINE_PREFIX}{self.name} {_b64encode(self.key_id + self.signature)}\n"

    @classmethod
    def from_line(cls, line: str) -> NoteSignature:
        """Parse one signature line (without its final newline)."""
        if not line.startswith(SIGNATURE_LINE_PREFIX):
            raise MalformedNoteError("signature line does not start with an em dash and space")
        name, _, encoded = line[len(SIGNATURE_LINE_PREFIX) :].partition(" ")
        if not is_valid_key_name(name):
            raise MalformedNoteError(f"invalid key name {name!r} in signature line")
        try:
            raw = _b64decode(encoded)
        except ValueError:
            raise MalformedNoteError(f"signature by {name} is not valid base64") from None
        if len(raw) <= _KEY_ID_SIZE:
            raise MalformedNoteError(f"signature by {name} is too short")
        return cls(name, raw[:_KEY_ID_SIZE], raw[_KEY_ID_SIZE:])


@dataclass(frozen=True)
class Note:
    """A note: its text (ending in a newline) and its signature lines."""

    text: str
    signatures: tuple[NoteSignature, ...] = ()

    def to_text(self) -> str:
        """The note as a string: text, blank line, signature lines."""
        return self.text + "\n" + "".join(sig.line for sig in self.signatures)

    def to_bytes(self) -> bytes:
        """The note as UTF-8 bytes."""
        return self.to_text().encode()

    def with_signatures(self, *signatures: NoteSignature) -> Note:
        """Return a copy with ``signatures`` appended (e.g. witness cosignatures)."""
        return Note(self.text, self.signatures + signatures)


@dataclass(frozen=True)
class VerifiedNote:
    """The result of :func:`open_note`."""

    text: str
    verified: tuple[NoteSignature, ...]
    """Signatures by known keys, all verified."""
    unverified: tuple[NoteSignature, ...]
    """Signatures by keys the caller did not know; they were not checked."""

    @property
    def verified_names(self) -> list[str]:
        """Names of the keys whose signatures verified, in note order."""
        return [sig.name for sig in self.verified]


def _check_text(text: str) -> None:
    """Note text: non-empty, ends with a newline, no control characters but newline."""
    if not text.endswith("\n"):
        raise MalformedNoteError("note text must be non-empty and end with a newline")
    for ch in text:
        if ch < " " and ch != "\n":
            raise MalformedNoteError(f"note contains control character {ord(ch):#04x}")
    try:
        text.encode()
    except UnicodeEncodeError:
        raise MalformedNoteError("note is not valid UTF-8") from None


def parse_note(message: bytes | str) -> Note:
    """Split a note into text and signature lines, rejecting any syntax error.

    No signature is checked; use :func:`open_note` for that.
    """
    if isinstance(message, bytes):
        try:
            message = message.decode("utf-8")
        except UnicodeDecodeError:
            raise MalformedNoteError("note is not valid UTF-8") from None
    if not message.endswith("\n"):
        raise MalformedNoteError("note must end with a newline")
    _check_text(message)
    split = message.rfind("\n\n")
    if split < 0:
        raise MalformedNoteError("note has no blank line before its signatures")
    text, block = message[: split + 1], message[split + 2 :]
    if not block:
        raise MalformedNoteError("note has no signatures")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise MalformedNoteError(f"note has more than {MAX_SIGNATURES} signatures")
    return Note(text, tuple(NoteSignature.from_line(line) for line in lines))


def _index_verifiers(verifiers: Iterable[Verifier]) -> dict[tuple[str, bytes], Verifier]:
    known: dict[tuple[str, bytes], Verifier] = {}
    for verifier in verifiers:
        key = (verifier.name, bytes(verifier.key_id))
        if key in known:
            raise ValueError(f"two verifiers for key {verifier.name}+{verifier.key_id.hex()}")
        known[key] = verifier
    return known


def open_note(message: bytes | str, verifiers: Iterable[Verifier]) -> VerifiedNote:
    """Parse a note and verify its signatures against ``verifiers`` (c2sp.org/signed-note).

    * a signature whose (name, key ID) matches no verifier is ignored;
    * a signature from a known key that fails raises :class:`InvalidSignatureError`;
    * repeated signatures by one key are ignored after the first;
    * if no known key signed, :class:`UnverifiedNoteError` is raised.
    """
    note = parse_note(message)
    known = _index_verifiers(verifiers)
    text = note.text.encode()
    verified: list[NoteSignature] = []
    unverified: list[NoteSignature] = []
    seen: set[tuple[str, bytes]] = set()
    for sig in note.signatures:
        key = (sig.name, sig.key_id)
        verifier = known.get(key)
        if verifier is None:
            if sig not in unverified:
                unverified.append(sig)
            continue
        if key in seen:
            continue
        seen.add(key)
        if not verifier.verify(text, sig.signature):
            raise InvalidSignatureError(sig.name, sig.key_id)
        verified.append(sig)
    if not verified:
        raise UnverifiedNoteError("note has no verifiable signatures from a known key")
    return VerifiedNote(note.text, tuple(verified), tuple(unverified))


def sign_note(text: str, *signers: Signer) -> str:
    """Sign ``text`` with each signer and return the whole note."""
    _check_text(text)
    if not signers:
        raise ValueError("sign_note needs at least one signer")
    encoded = text.encode()
    signatures = []
    for signer in signers:
        if not is_valid_key_name(signer.name):
            raise InvalidKeyError(f"invalid key name {signer.name!r}")
        signatures.append(NoteSignature(signer.name, signer.key_id, signer.sign(encoded)))
    return Note(text, tuple(signatures)).to_text()
