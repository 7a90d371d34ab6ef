"""Signed notes, checkpoints and cosignatures against note.json."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from seawitness.tlog.checkpoint import (
    Checkpoint,
    CheckpointError,
    open_checkpoint,
    sign_checkpoint,
)
from seawitness.tlog.cosignature import (
    COSIGNATURE_SIZE,
    CosignatureError,
    cosignature_message,
    decode_cosignature,
    encode_cosignature,
    sign_cosignature,
    verify_cosignature,
)
from seawitness.tlog.keys import generate_private_key
from seawitness.tlog.note import (
    ALG_COSIGNATURE_V1,
    ALG_ED25519,
    CosignatureV1Signer,
    CosignatureV1Verifier,
    ECDSAVerifier,
    Ed25519Signer,
    Ed25519Verifier,
    InvalidKeyError,
    InvalidSignatureError,
    MalformedNoteError,
    Note,
    NoteError,
    NoteSignature,
    UnverifiedNoteError,
    format_vkey,
    key_id,
    open_note,
    parse_note,
    parse_vkey,
    sign_note,
    signer_from_skey,
    verifier_from_vkey,
)

VECTORS = Path(__file__).parent / "vectors"
NOTES = json.loads((VECTORS / "note.json").read_text())
NOTE_VECTORS: list[dict[str, Any]] = NOTES["note_vectors"]

OUTCOMES: dict[str, type[NoteError]] = {
    "malformed": MalformedNoteError,
    "unverified": UnverifiedNoteError,
    "invalid_signature": InvalidSignatureError,
}


def message_of(vector: dict[str, Any]) -> bytes:
    if vector["note"] is not None:
        return str(vector["note"]).encode()
    return bytes.fromhex(vector["note_hex"])


def by_id(vector_id: str) -> dict[str, Any]:
    return next(v for v in NOTE_VECTORS if v["id"] == vector_id)


# --- note vectors -------------------------------------------------------------------


@pytest.mark.parametrize("vector", NOTE_VECTORS, ids=lambda v: v["id"])
def test_open_note_vector(vector: dict[str, Any]) -> None:
    verifiers = [verifier_from_vkey(vkey) for vkey in vector["verifier_keys"]]
    if vector["expect"] == "ok":
        note = open_note(message_of(vector), verifiers)
        assert note.verified_names == vector["expect_verified_key_names"]
        assert note.text == vector["expect_text"]
    else:
        with pytest.raises(OUTCOMES[vector["expect"]]):
            open_note(message_of(vector), verifiers)


@pytest.mark.parametrize(
    "vector", [v for v in NOTE_VECTORS if v["expect"] != "malformed"], ids=lambda v: v["id"]
)
def test_well_formed_vector_parses_and_round_trips(vector: dict[str, Any]) -> None:
    note = parse_note(message_of(vector))
    assert note.to_bytes() == message_of(vector)
    if "expect_text" in vector:
        assert note.text == vector["expect_text"]


@pytest.mark.parametrize(
    "vector", [v for v in NOTE_VECTORS if "signer_key" in v], ids=lambda v: v["id"]
)
def test_signing_reproduces_vector_byte_for_byte(vector: dict[str, Any]) -> None:
    signer = signer_from_skey(vector["signer_key"])
    assert signer.vkey in vector["verifier_keys"]
    assert signer.skey == vector["signer_key"]
    assert sign_note(vector["expect_text"], signer) == vector["note"]


@pytest.mark.parametrize("vector", NOTES["vkey_vectors"], ids=lambda v: v["vkey"][:40])
def test_vkey_vector(vector: dict[str, Any]) -> None:
    if vector["valid"]:
        verifier = verifier_from_vkey(vector["vkey"])
        assert f"{verifier.name}+{verifier.key_id.hex()}+" in vector["vkey"]
        assert verifier.vkey == vector["vkey"]
    else:
        with pytest.raises(InvalidKeyError):
            verifier_from_vkey(vector["vkey"])


def test_vkey_types_map_to_verifier_classes() -> None:
    kinds = {
        "PeterNeumann+c74f20a3": Ed25519Verifier,
        "rekor.sigstore.dev+c0d23d6a": ECDSAVerifier,
        "remora.n621.de+da77ade7": CosignatureV1Verifier,
    }
    for vector in NOTES["vkey_vectors"]:
        for prefix, kind in kinds.items():
            if vector["vkey"].startswith(prefix) and vector["valid"]:
                assert isinstance(verifier_from_vkey(vector["vkey"]), kind)


# --- cosignature vectors ------------------------------------------------------------

COSIGNED = [v for v in NOTE_VECTORS if "cosigner_signer_key" in v]


@pytest.mark.parametrize("vector", COSIGNED, ids=lambda v: v["id"])
def test_cosignature_vector_is_reproduced(vector: dict[str, Any]) -> None:
    text, timestamp = vector["expect_text"], vector["cosignature_timestamp"]
    assert cosignature_message(text, timestamp).decode() == vector["cosigned_message"]
    cosigner = CosignatureV1Signer.from_skey(vector["cosigner_signer_key"])
    assert cosigner.vkey == vector["cosigner_vkey"]
    signature = NoteSignature(
        cosigner.name, cosigner.key_id, cosigner.sign_at(text.encode(), timestamp)
    )
    assert signature.line in vector["note"]


@pytest.mark.parametrize("vector", COSIGNED, ids=lambda v: v["id"])
def test_cosignature_vector_timestamp_is_decoded(vector: dict[str, Any]) -> None:
    verifier = verifier_from_vkey(vector["cosigner_vkey"])
    assert isinstance(verifier, CosignatureV1Verifier)
    note = parse_note(vector["note"])
    [cosig] = [sig for sig in note.signatures if sig.key_id == verifier.key_id]
    text = note.text.encode()
    assert verifier.timestamp(text, cosig.signature) == vector["cosignature_timestamp"]
    assert decode_cosignature(cosig.signature)[0] == vector["cosignature_timestamp"]


def test_cosignature_layout_vector() -> None:
    layout = NOTES["cosignature_layout_vector"]
    raw = base64.b64decode(layout["signature_b64"])
    assert len(raw) == layout["total_bytes"] == 4 + COSIGNATURE_SIZE
    assert raw[:4].hex() == layout["key_id_hex"]
    timestamp, signature = decode_cosignature(raw[4:])
    assert timestamp == layout["timestamp"]
    assert encode_cosignature(timestamp, signature) == raw[4:]


def test_cosignature_key_id_differs_from_note_key_id() -> None:
    wit1 = by_id("generated-cosignature-v1")
    cosigner = CosignatureV1Signer.from_skey(wit1["cosigner_signer_key"])
    note_signer = signer_from_skey(wit1["cosigner_signer_key"])
    assert cosigner.public_key == note_signer.public_key
    assert cosigner.key_id != note_signer.key_id
    assert cosigner.key_id == key_id("Wit1", ALG_COSIGNATURE_V1, cosigner.public_key)


def test_cosignature_sign_and_verify_round_trip() -> None:
    key = generate_private_key()
    text = Checkpoint("example.org/log", 7, bytes(32)).to_text()
    signed = sign_cosignature(key, text, 1_700_000_123)
    assert verify_cosignature(key.public_key(), text, signed) == 1_700_000_123
    with pytest.raises(CosignatureError, match="does not verify"):
        verify_cosignature(key.public_key(), text.replace("7", "8"), signed)
    with pytest.raises(CosignatureError, match="72"):
        verify_cosignature(key.public_key(), text, signed[:-1])


@pytest.mark.parametrize("timestamp", [-1, 2**63])
def test_cosignature_timestamp_must_fit_in_int63(timestamp: int) -> None:
    with pytest.raises(CosignatureError):
        cosignature_message("o\n1\nAAAA\n", timestamp)
    raw = (2**63).to_bytes(8, "big") + bytes(64)
    with pytest.raises(CosignatureError):
        decode_cosignature(raw)


def test_cosigner_uses_its_clock() -> None:
    key = generate_private_key()
    cosigner = CosignatureV1Signer("witness.example", key, clock=lambda: 1234.9)
    text = Checkpoint("example.org/log", 1, bytes(32)).to_text()
    note = sign_note(text, cosigner)
    opened = open_note(note, [cosigner.verifier()])
    assert cosigner.verifier().timestamp(text.encode(), opened.verified[0].signature) == 1234


# --- checkpoints --------------------------------------------------------------------

CHECKPOINT_VECTORS = [v for v in NOTE_VECTORS if "checkpoint" in v]


@pytest.mark.parametrize("vector", CHECKPOINT_VECTORS, ids=lambda v: v["id"])
def test_checkpoint_vector(vector: dict[str, Any]) -> None:
    expected = vector["checkpoint"]
    verifiers = [verifier_from_vkey(vkey) for vkey in vector["verifier_keys"]]
    checkpoint, note = open_checkpoint(vector["note"], verifiers, origin=expected["origin"])
    assert checkpoint.origin == expected["origin"]
    assert checkpoint.size == expected["size"]
    assert checkpoint.root_hash.hex() == expected["root_hash_hex"]
    assert list(checkpoint.extensions) == expected["extension_lines"]
    assert checkpoint.to_text() == note.text


def test_checkpoint_with_wrong_origin_is_rejected() -> None:
    vector = CHECKPOINT_VECTORS[0]
    verifiers = [verifier_from_vkey(vkey) for vkey in vector["verifier_keys"]]
    with pytest.raises(CheckpointError, match="origin"):
        open_checkpoint(vector["note"], verifiers, origin="another.example/log")


ROOT_B64 = base64.b64encode(bytes(range(32))).decode()


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (f"o\n1\n{ROOT_B64}", "newline"),
        ("o\n1\n", "at least 3"),
        (f"o\n01\n{ROOT_B64}\n", "decimal"),
        (f"o\n-1\n{ROOT_B64}\n", "decimal"),
        (f"o\n+1\n{ROOT_B64}\n", "decimal"),
        (f"o\n 1\n{ROOT_B64}\n", "decimal"),
        (f"o\n{2**64}\n{ROOT_B64}\n", "64-bit"),
        ("o\n1\nAAAA\n", "32"),
        (f"o\n1\n{ROOT_B64[:-1]}\n", "base64"),
        (f"o\n1\n{ROOT_B64}\n\n", "extension line is empty"),
        (f"\n1\n{ROOT_B64}\n", "origin is empty"),
        (f"o\n1\n{ROOT_B64.replace('=', 'B')}\n", "33 bytes"),
        (f"o\n1\n{ROOT_B64} \n", "base64"),
    ],
)
def test_malformed_checkpoint_text_is_rejected(text: str, reason: str) -> None:
    with pytest.raises(CheckpointError, match=reason):
        Checkpoint.from_text(text)


def test_non_canonical_base64_root_is_rejected() -> None:
    # 'AR==' decodes like 'AQ==' (unused low bits set); only the canonical form is allowed.
    root = base64.b64encode(bytes(31) + b"\x01").decode()
    twisted = root[:-2] + chr(ord(root[-2]) + 1) + "="
    assert base64.b64decode(twisted) == base64.b64decode(root)
    with pytest.raises(CheckpointError, match="canonical"):
        Checkpoint.from_text(f"o\n1\n{twisted}\n")


def test_checkpoint_round_trip_with_extensions() -> None:
    checkpoint = Checkpoint("lab.example/log", 0, bytes(32), ("ext one",))
    assert Checkpoint.from_text(checkpoint.to_text()) == checkpoint
    assert checkpoint.to_text().splitlines()[1] == "0"


def test_sign_and_open_checkpoint() -> None:
    signer = Ed25519Signer("lab.example/log", generate_private_key())
    checkpoint = Checkpoint("lab.example/log", 42, bytes(range(32)))
    signed = sign_checkpoint(checkpoint, signer)
    opened, note = open_checkpoint(signed, [signer.verifier()], origin="lab.example/log")
    assert opened == checkpoint
    assert note.verified_names == ["lab.example/log"]


# --- note syntax and verification rules ---------------------------------------------


@pytest.fixture()
def peter() -> Ed25519Signer:
    return signer_from_skey(by_id("gomod-peter-sign")["signer_key"])


TEXT = "hello\nworld\n"


def test_signatures_from_unknown_keys_are_kept_as_unverified(peter: Ed25519Signer) -> None:
    other = Ed25519Signer("other", generate_private_key())
    note = open_note(sign_note(TEXT, peter, other), [peter.verifier()])
    assert note.verified_names == ["PeterNeumann"]
    assert [sig.name for sig in note.unverified] == ["other"]


def test_same_name_different_key_is_ignored(peter: Ed25519Signer) -> None:
    impostor = Ed25519Signer("PeterNeumann", generate_private_key())
    note = sign_note(TEXT, impostor, peter)
    assert open_note(note, [peter.verifier()]).verified_names == ["PeterNeumann"]
    with pytest.raises(UnverifiedNoteError):
        open_note(sign_note(TEXT, impostor), [peter.verifier()])


def test_duplicate_signature_lines_count_once(peter: Ed25519Signer) -> None:
    line = parse_note(sign_note(TEXT, peter)).signatures[0]
    note = Note(TEXT, (line, line))
    assert open_note(note.to_text(), [peter.verifier()]).verified_names == ["PeterNeumann"]


def test_too_many_signatures_are_malformed(peter: Ed25519Signer) -> None:
    line = parse_note(sign_note(TEXT, peter)).signatures[0]
    with pytest.raises(MalformedNoteError, match="more than 100"):
        parse_note(Note(TEXT, (line,) * 101).to_text())


def test_with_signatures_appends_cosignatures(peter: Ed25519Signer) -> None:
    note = parse_note(sign_note(TEXT, peter))
    cosigner = CosignatureV1Signer("w", generate_private_key())
    cosig = NoteSignature(cosigner.name, cosigner.key_id, cosigner.sign_at(TEXT.encode(), 5))
    both = note.with_signatures(cosig)
    opened = open_note(both.to_text(), [peter.verifier(), cosigner.verifier()])
    assert opened.verified_names == ["PeterNeumann", "w"]


@pytest.mark.parametrize(
    "message",
    [
        "text\n\n\u2014 name \n",  # empty base64
        "text\n\n\u2014 name AAAA\n",  # fewer than 5 bytes
        "text\n\n\u2014 name !!!!\n",  # not base64
        "text\n\n\u2014 na+me AAAAAAAA\n",  # '+' in the key name
        "text\n\n- name AAAAAAAA\n",  # not an em dash
        "text\n\n\u2014name AAAAAAAA\n",  # no space after the dash
        "text\r\n\n\u2014 name AAAAAAAA\n",  # control character
    ],
)
def test_malformed_signature_blocks(message: str) -> None:
    with pytest.raises(MalformedNoteError):
        parse_note(message)


def test_sign_note_rejects_bad_text(peter: Ed25519Signer) -> None:
    with pytest.raises(MalformedNoteError):
        sign_note("no newline", peter)
    with pytest.raises(MalformedNoteError):
        sign_note("", peter)
    with pytest.raises(MalformedNoteError):
        sign_note("tab\there\n", peter)


def test_two_verifiers_for_one_key_are_refused(peter: Ed25519Signer) -> None:
    with pytest.raises(ValueError, match="two verifiers"):
        open_note(sign_note(TEXT, peter), [peter.verifier(), peter.verifier()])


@pytest.mark.parametrize(
    "skey",
    [
        "PRIVATE+KEY+PeterNeumann+c74f20a4+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
        "PRIVATE+KEY+PeterNeumann+c74f20a3+AoEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
        "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr",
        "PRIVATE+KEYS+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
        "PRIVATE+KEY+Peter Neumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
    ],
)
def test_bad_signer_keys_are_rejected(skey: str) -> None:
    with pytest.raises(InvalidKeyError):
        signer_from_skey(skey)


def test_vkey_key_id_must_be_lowercase_hex(peter: Ed25519Signer) -> None:
    upper = peter.vkey.replace("c74f20a3", "C74F20A3")
    with pytest.raises(InvalidKeyError, match="lowercase"):
        parse_vkey(upper)


def test_format_vkey_matches_parse(peter: Ed25519Signer) -> None:
    vkey = format_vkey(peter.name, ALG_ED25519, peter.public_key)
    assert vkey == peter.vkey
    assert parse_vkey(vkey).key_id == peter.key_id
