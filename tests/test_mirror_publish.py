"""Static publishing (c2sp.org/tlog-tiles layout): files, incremental updates, policy."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import insert

from conftest import load_files
from seawitness.mirror import AuditFailure, PublishError, audit, publish
from seawitness.mirror.publish import cosigned_checkpoint, default_policy
from seawitness.store import schema as s
from seawitness.tlog.checkpoint import Checkpoint
from seawitness.tlog.keys import generate_private_key
from seawitness.tlog.note import CosignatureV1Signer, NoteSignature, parse_note
from seawitness.tlog.policy import parse_policy
from seawitness.tlog.tiles import entry_bundle_path, parse_entry_bundle, tile_path


def _pins(inst) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"trust_log_key": inst.log_key().vkey, "admin_vkey": inst.admin_key().vkey}


def test_publish_then_audit_passes(instance, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    mirror = tmp_path / "mirror"
    report = publish(instance.store, mirror)
    size = instance.store.tree_size()
    assert report.tree_size == size > 5000
    full, partial = divmod(size, 256)
    assert report.bundles_written == full + (partial > 0)
    for name in ("checkpoint", "log.vkey", "admin.vkey", "witnesses", "policy", "README.txt"):
        assert (mirror / name).is_file(), name
    assert (mirror / "log.vkey").read_text().strip() == instance.log_key().vkey
    assert (mirror / "admin.vkey").read_text().strip() == instance.admin_key().vkey
    assert (mirror / "witnesses").read_text() == ""
    assert parse_policy((mirror / "policy").read_text()).quorum == "none"
    assert len((mirror / tile_path(0, 0)).read_bytes()) == 256 * 32
    assert (mirror / tile_path(0, full, partial)).stat().st_size == partial * 32
    assert (mirror / tile_path(1, 0, full)).stat().st_size == full * 32
    last = parse_entry_bundle((mirror / entry_bundle_path(full, partial)).read_bytes())
    assert last == instance.store.entries_range(full * 256, size)
    checkpoint = Checkpoint.from_text(parse_note((mirror / "checkpoint").read_text()).text)
    assert checkpoint.size == size and checkpoint.origin == "test.local/seawitness"
    assert "seawitness audit" in (mirror / "README.txt").read_text()

    result = audit(mirror, workers=1, **_pins(instance))
    assert result.tree_size == size
    assert sum(result.by_kind.values()) == size
    assert result.by_kind["measurement"] > 5000
    assert result.by_submitter["admin"] >= 2
    assert result.warnings == []
    assert result.root_hash == checkpoint.root_hash


def test_republish_writes_only_what_changed(instance, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    mirror = tmp_path / "mirror"
    first = publish(instance.store, mirror)
    old_size = first.tree_size
    old_partial = mirror / tile_path(0, old_size // 256, old_size % 256)
    full_tile = mirror / tile_path(0, 0)
    inode = full_tile.stat().st_ino

    again = publish(instance.store, mirror)
    assert (again.tiles_written, again.bundles_written, again.files_written) == (0, 0, [])

    from seawitness.data import bundled_path

    extra = next(bundled_path("orbs").rglob("Seawater_10_10.csv"))
    load_files(instance, [extra])
    grown = publish(instance.store, mirror)
    assert grown.tree_size > old_size
    assert grown.files_written == ["checkpoint"]
    assert 0 < grown.bundles_written <= (grown.tree_size - old_size) // 256 + 2
    assert full_tile.stat().st_ino == inode  # full tiles are never rewritten
    assert old_partial.is_file()  # partials of earlier checkpoints stay served
    assert not list(mirror.rglob("*.tmp"))
    audit(mirror, workers=1, **_pins(instance))


def test_publish_refuses_to_roll_a_mirror_back(instance, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    mirror = tmp_path / "mirror"
    publish(instance.store, mirror)
    note = (mirror / "checkpoint").read_text()
    origin, size, root, rest = note.split("\n", 3)
    (mirror / "checkpoint").write_text(f"{origin}\n{int(size) + 5}\n{root}\n{rest}")
    with pytest.raises(PublishError, match="roll it back"):
        publish(instance.store, mirror)


def test_cosignatures_are_published_and_meet_the_quorum(instance, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    witness = CosignatureV1Signer("witness.example/jp", generate_private_key())
    note = instance.store.latest_checkpoint_note()
    size = Checkpoint.from_text(parse_note(note).text).size
    text = parse_note(note).text.encode()
    line = NoteSignature(witness.name, witness.key_id, witness.sign(text)).line
    with instance.store.transaction() as conn:
        conn.execute(
            insert(s.cosignatures).values(
                size=size,
                witness=witness.name,
                signature_line=line,
                created_at=datetime.now(UTC),
            )
        )
    assert line.strip() in cosigned_checkpoint(instance.store)

    mirror = tmp_path / "mirror"
    publish(instance.store, mirror, witnesses=[witness.vkey], quorum=1)
    assert (mirror / "witnesses").read_text() == witness.vkey + "\n"
    assert line.strip() in (mirror / "checkpoint").read_text()
    policy = (mirror / "policy").read_text()
    result = audit(mirror, workers=1, policy=policy, admin_vkey=instance.admin_key().vkey)
    assert result.witnesses == ["witness.example/jp"]

    other = CosignatureV1Signer("witness.example/kr", generate_private_key())
    strict = default_policy(instance.log_key().vkey, [other.vkey], quorum=1)
    with pytest.raises(AuditFailure, match="quorum") as caught:
        audit(mirror, workers=1, policy=strict, admin_vkey=instance.admin_key().vkey)
    assert caught.value.path == "checkpoint"


def test_default_policy_rejects_a_quorum_larger_than_the_witnesses() -> None:
    from seawitness.tlog.keys import vkey_for

    log_vkey = vkey_for("example.org/log", generate_private_key())
    assert "quorum none" in default_policy(log_vkey)
    with pytest.raises(PublishError):
        default_policy(log_vkey, [], quorum=1)
