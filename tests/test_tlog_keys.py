"""Ed25519 key helpers against the RFC 8032 §7.1 vectors, and key storage."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any, Literal

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from seawitness.tlog.keys import (
    PRIVATE_KEY_FILE_MODE,
    generate_keypair,
    generate_private_key,
    key_id,
    load_private_key,
    private_key_seed,
    public_key_bytes,
    save_private_key,
    sign,
    signer_from_skey,
    skey_for,
    verifier_from_vkey,
    verify,
    vkey_for,
)
from seawitness.tlog.note import ALG_COSIGNATURE_V1, ALG_ED25519, sign_note

VECTORS = Path(__file__).parent / "vectors"
ED25519 = json.loads((VECTORS / "ed25519.json").read_text())["vectors"]


def private_key(vector: dict[str, Any]) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(bytes.fromhex(vector["secret_key"]))


@pytest.mark.parametrize("vector", ED25519, ids=lambda v: v["name"])
def test_public_key_is_derived_from_seed(vector: dict[str, Any]) -> None:
    assert public_key_bytes(private_key(vector)).hex() == vector["public_key"]
    assert private_key_seed(private_key(vector)).hex() == vector["secret_key"]


@pytest.mark.parametrize("vector", ED25519, ids=lambda v: v["name"])
def test_signature_matches_rfc8032(vector: dict[str, Any]) -> None:
    message = bytes.fromhex(vector["message"])
    assert len(message) == int(vector["message_length"])
    assert sign(private_key(vector), message).hex() == vector["signature"]


@pytest.mark.parametrize("vector", ED25519, ids=lambda v: v["name"])
def test_rfc8032_signature_verifies_and_tampering_fails(vector: dict[str, Any]) -> None:
    public_key = bytes.fromhex(vector["public_key"])
    message = bytes.fromhex(vector["message"])
    signature = bytes.fromhex(vector["signature"])
    assert verify(public_key, message, signature)
    assert not verify(public_key, message + b"x", signature)
    assert not verify(public_key, message, signature[:-1] + bytes([signature[-1] ^ 1]))
    assert not verify(public_key[:31], message, signature)
    assert not verify(public_key, message, signature[:63])


def test_generate_keypair_gives_a_working_pair() -> None:
    key, public_key = generate_keypair()
    assert public_key == public_key_bytes(key)
    assert verify(public_key, b"record", sign(key, b"record"))
    assert generate_private_key() != key


@pytest.mark.parametrize("encoding", ["pem", "raw"])
def test_saved_private_key_is_owner_only_and_loads_back(
    tmp_path: Path, encoding: Literal["pem", "raw"]
) -> None:
    key = generate_private_key()
    path = tmp_path / f"log.{encoding}"
    save_private_key(path, key, encoding=encoding)
    assert stat.S_IMODE(path.stat().st_mode) == PRIVATE_KEY_FILE_MODE == 0o600
    assert private_key_seed(load_private_key(path)) == private_key_seed(key)


def test_save_private_key_refuses_to_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "key.pem"
    first, second = generate_private_key(), generate_private_key()
    save_private_key(path, first)
    with pytest.raises(FileExistsError):
        save_private_key(path, second)
    path.chmod(0o644)
    save_private_key(path, second, overwrite=True)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert private_key_seed(load_private_key(path)) == private_key_seed(second)


def test_save_private_key_rejects_unknown_encoding(tmp_path: Path) -> None:
    unknown: Any = "der"
    with pytest.raises(ValueError, match="encoding"):
        save_private_key(tmp_path / "k", generate_private_key(), encoding=unknown)


def test_load_private_key_rejects_other_key_types(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path = tmp_path / "ec.pem"
    path.write_bytes(pem)
    with pytest.raises(ValueError, match="Ed25519"):
        load_private_key(path)


def test_vkey_and_skey_strings_round_trip() -> None:
    key = private_key(ED25519[0])
    skey = skey_for("lab.example/log", key)
    vkey = vkey_for("lab.example/log", key)
    signer = signer_from_skey(skey)
    verifier = verifier_from_vkey(vkey)
    assert signer.vkey == vkey
    assert verifier.key_id == key_id("lab.example/log", ALG_ED25519, public_key_bytes(key))
    assert vkey.split("+")[1] == verifier.key_id.hex()
    note = sign_note("measurement batch 1\n", signer)
    assert note.endswith("\n")


def test_cosignature_vkey_uses_type_0x04() -> None:
    key = private_key(ED25519[1])
    vkey = vkey_for("witness.example", key, ALG_COSIGNATURE_V1)
    assert verifier_from_vkey(vkey).key_id == key_id(
        "witness.example", ALG_COSIGNATURE_V1, public_key_bytes(key)
    )
    assert vkey != vkey_for("witness.example", key)
