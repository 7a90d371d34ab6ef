"""Witnessing: consistency before cosigning, forks refused, cosignatures served."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from seawitness.app import create_app
from seawitness.store import schema as s
from seawitness.tlog.checkpoint import Checkpoint, sign_checkpoint
from seawitness.tlog.note import (
    ALG_COSIGNATURE_V1,
    CosignatureV1Verifier,
    format_vkey,
    open_note,
    parse_note,
)
from seawitness.trust import keyring
from seawitness.trust.witness import Witness, WitnessError


def _client(inst) -> TestClient:  # type: ignore[no-untyped-def]
    return TestClient(create_app(inst, warm=False))


@pytest.fixture
def setup(instance, tmp_path: Path):  # type: ignore[no-untyped-def]
    """A log with a registered witness stakeholder, and that witness."""
    wkey, _ = keyring.generate("witness-KR")
    wvkey = format_vkey(wkey.name, ALG_COSIGNATURE_V1, wkey.public_bytes)
    with instance.store.transaction() as conn:
        instance.register(
            conn,
            "witness-KR",
            "Witness in Korea",
            "KR",
            "witness",
            keyring.KeyPair(wkey.signer),
            valid_from=datetime.now(UTC) - timedelta(days=1),
            vkey=wvkey,  # witnesses register the cosignature/v1 (0x04) form of their key
        )
        instance.checkpoint(conn)
    client = _client(instance)
    w = Witness(
        "http://testserver",
        wkey.signer.cosigner(),
        tmp_path / "wstate",
        log_vkey=instance.log_key().vkey,
        client=client,
    )
    return instance, w, client, wvkey


def _append(inst, n: int = 1) -> None:  # type: ignore[no-untyped-def]
    """Grow the log by registering ``n`` throwaway stakeholders (admin-signed entries)."""
    for i in range(n):
        k, _ = keyring.generate(f"extra{i}-{datetime.now(UTC).timestamp()}")
        with inst.store.transaction() as conn:
            inst.register(conn, k.name, "extra", None, "lab", k)
            inst.checkpoint(conn)


def test_witness_cosigns_and_log_serves_cosignature(setup) -> None:  # type: ignore[no-untyped-def]
    inst, w, client, wvkey = setup
    r = w.round()
    assert r.cosigned and r.delivered
    served = client.get("/checkpoint").text
    v = CosignatureV1Verifier(*_name_pub(wvkey))
    opened = open_note(served, [v, inst.log_key().signer.verifier()])
    assert set(opened.verified_names) == {"witness-KR", inst.origin}
    # grows: the next round verifies a consistency proof from tiles and cosigns again
    _append(inst, 2)
    r2 = w.round()
    assert r2.old_size == r.new_size and r2.new_size == inst.store.tree_size() > r.new_size
    assert r2.cosigned


def _name_pub(vkey: str) -> tuple[str, bytes]:
    from seawitness.tlog.note import parse_vkey

    vk = parse_vkey(vkey)
    return vk.name, vk.public_key


def _forge_checkpoint(inst, size: int, root: bytes) -> None:  # type: ignore[no-untyped-def]
    """Make the log serve a checkpoint it signed for another tree (a compromised log)."""
    note = sign_checkpoint(Checkpoint(inst.origin, size, root), inst.log_key().signer)
    with inst.store.transaction() as conn:
        conn.execute(s.cosignatures.delete().where(s.cosignatures.c.size >= size))
        conn.execute(s.checkpoints.delete().where(s.checkpoints.c.size >= size))
        conn.execute(
            s.checkpoints.insert().values(
                size=size, root_hash=root, note=note, created_at=datetime.now(UTC)
            )
        )


def test_fork_same_size_other_root_is_refused(setup) -> None:  # type: ignore[no-untyped-def]
    inst, w, _, _ = setup
    first = w.round()
    _forge_checkpoint(inst, first.new_size, b"\x42" * 32)
    with pytest.raises(WitnessError, match="fork: two checkpoints of size") as e:
        w.round()
    assert e.value.fork
    assert list(w.state_dir.glob("evidence-*.txt"))


def test_fork_smaller_tree_is_refused(setup) -> None:  # type: ignore[no-untyped-def]
    inst, w, _, _ = setup
    first = w.round()
    _forge_checkpoint(inst, first.new_size - 3, b"\x42" * 32)
    with pytest.raises(WitnessError, match="shrank"):
        w.round()


def test_inconsistent_growth_is_refused(setup) -> None:  # type: ignore[no-untyped-def]
    inst, w, _, _ = setup
    first = w.round()
    _append(inst, 1)
    _forge_checkpoint(inst, first.new_size + 1, b"\x42" * 32)
    with pytest.raises(WitnessError, match="not consistent"):
        w.round()
    # the witness did not move on: its state still holds the last good checkpoint
    assert w.last_cosigned().size == first.new_size


def test_checkpoint_signed_by_unknown_key_is_refused(setup) -> None:  # type: ignore[no-untyped-def]
    inst, w, _, _ = setup
    mallory, _ = keyring.generate(inst.origin)
    note = sign_checkpoint(Checkpoint(inst.origin, 1, b"\x00" * 32), mallory.signer)
    with inst.store.transaction() as conn:
        conn.execute(
            s.checkpoints.insert().values(
                size=10**9, root_hash=b"\0" * 32, note=note, created_at=datetime.now(UTC)
            )
        )
    with pytest.raises(WitnessError, match="checkpoint rejected"):
        w.round()


def test_log_refuses_cosignature_from_unregistered_witness(setup) -> None:  # type: ignore[no-untyped-def]
    inst, _, client, _ = setup
    stranger, _ = keyring.generate("stranger")
    note = client.get("/checkpoint").text
    body = parse_note(note).text
    from seawitness.tlog.note import NoteSignature

    cos = stranger.signer.cosigner()
    line = NoteSignature(cos.name, cos.key_id, cos.sign(body.encode())).line
    r = client.post("/api/v1/cosignatures", content=(note + line).encode())
    assert r.status_code == 403
    r = client.post("/api/v1/cosignatures", content=b"not a note")
    assert r.status_code == 400 and "malformed" in r.json()["detail"]


def test_tiles_served_at_c2sp_paths(setup) -> None:  # type: ignore[no-untyped-def]
    from seawitness.tlog.merkle import verify_inclusion
    from seawitness.tlog.tiles import TileHashReader, parse_entry_bundle, tile_path

    inst, _, client, _ = setup
    cp = Checkpoint.from_text(parse_note(client.get("/checkpoint").text).text)

    def read(level: int, index: int, width: int) -> bytes:
        r = client.get("/" + tile_path(level, index, width))
        assert r.status_code == 200, r.text
        return r.content

    reader = TileHashReader(cp.size, read)
    assert reader.root_hash() == cp.root_hash
    leaf = cp.size - 1
    bundle = client.get(f"/tile/entries/{leaf // 256:03d}.p/{cp.size % 256}")
    data = parse_entry_bundle(bundle.content)[leaf % 256]
    import hashlib

    verify_inclusion(
        leaf,
        cp.size,
        hashlib.sha256(b"\0" + data).digest(),
        reader.inclusion_proof(leaf),
        cp.root_hash,
    )
    assert client.get("/tile/0/x999/999").status_code == 404
