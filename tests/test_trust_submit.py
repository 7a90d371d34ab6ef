"""Signed submissions: every attack in the trust-core issue is rejected and stores nothing."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from seawitness.ingest.submit import SubmissionError, submit
from seawitness.model import Basis, Detection, Measurement, Medium
from seawitness.model.canonical import canonical_bytes
from seawitness.model.entry import Entry, EntryError
from seawitness.store.store import Query
from seawitness.trust import keyring


def _measurement(value: float = 0.31, station: str = "KR-1") -> Measurement:
    return Measurement(
        org="KINS",
        station=station,
        medium=Medium.SEAWATER,
        sampled_at=datetime(2025, 9, 1, 1, 0, tzinfo=UTC),
        nuclide="H-3",
        detection=Detection.DETECTED,
        value=value,
        unit="Bq/L",
        basis=Basis.WATER,
        uncertainty=0.05,
    )


def _signed(
    key: keyring.KeyPair,
    seq: int,
    body: bytes,
    *,
    submitter: str = "KINS",
    kind: str = "measurement",
    when: datetime | None = None,
) -> Entry:
    e = Entry(
        kind=kind,
        record_bytes=body,
        submitter=submitter,
        key_id=key.key_id,
        seq=seq,
        submitted_at=when or datetime.now(UTC),
    )
    return Entry(
        kind=e.kind,
        record_bytes=e.record_bytes,
        submitter=e.submitter,
        key_id=e.key_id,
        seq=e.seq,
        submitted_at=e.submitted_at,
        signature=key.sign(e.signed_message()),
    )


@pytest.fixture
def lab(instance):  # type: ignore[no-untyped-def]
    """The instance with a registered lab "KINS" and its key."""
    key, _ = keyring.generate("KINS")
    with instance.store.transaction() as conn:
        instance.register(
            conn,
            "KINS",
            "Korea Institute of Nuclear Safety",
            "KR",
            "lab",
            key,
            valid_from=datetime.now(UTC) - timedelta(days=1),
        )
        instance.checkpoint(conn)
    return instance, key


def _state(inst):  # type: ignore[no-untyped-def]
    return (
        inst.store.tree_size(),
        inst.store.count(Query(history=True)),
        inst.store.latest_checkpoint_note(),
    )


def _reject(inst, entries, match: str) -> None:  # type: ignore[no-untyped-def]
    before = _state(inst)
    with pytest.raises(SubmissionError, match=match), inst.store.transaction() as conn:
        submit(inst.store, conn, entries)
    assert _state(inst) == before, "a rejected submission must change nothing"


def test_accepts_a_signed_record(lab) -> None:  # type: ignore[no-untyped-def]
    inst, key = lab
    size = inst.store.tree_size()
    with inst.store.transaction() as conn:
        acc = submit(inst.store, conn, [_signed(key, 0, _measurement().canonical())])
    assert acc.leaves == [size]
    row = inst.store.measurements(Query(org="KINS"))[0]
    assert row["value"] == 0.31 and row["leaf_index"] == size


def test_forged_signature(lab) -> None:  # type: ignore[no-untyped-def]
    inst, key = lab
    mallory, _ = keyring.generate("KINS")  # same name, another key
    e = _signed(mallory, 0, _measurement().canonical())
    real_id = key.key_id
    forged = Entry(
        kind=e.kind,
        record_bytes=e.record_bytes,
        submitter="KINS",
        key_id=real_id,
        seq=0,
        submitted_at=e.submitted_at,
        signature=e.signature,
    )
    _reject(inst, [forged], "signature does not verify")


def test_modified_record(lab) -> None:  # type: ignore[no-untyped-def]
    inst, key = lab
    e = _signed(key, 0, _measurement(0.31).canonical())
    tampered = Entry(
        kind=e.kind,
        record_bytes=_measurement(0.03).canonical(),
        submitter=e.submitter,
        key_id=e.key_id,
        seq=e.seq,
        submitted_at=e.submitted_at,
        signature=e.signature,
    )
    _reject(inst, [tampered], "signature does not verify")


def test_unknown_key(lab) -> None:  # type: ignore[no-untyped-def]
    inst, _ = lab
    stranger, _ = keyring.generate("KINS")
    _reject(inst, [_signed(stranger, 0, _measurement().canonical())], "unknown key")


def test_key_of_another_stakeholder(lab) -> None:  # type: ignore[no-untyped-def]
    inst, key = lab
    _reject(
        inst, [_signed(key, 0, _measurement().canonical(), submitter="TEPCO")], "belongs to 'KINS'"
    )


def test_revoked_key(lab) -> None:  # type: ignore[no-untyped-def]
    inst, key = lab
    with inst.store.transaction() as conn:
        inst.submit_records(
            conn,
            inst.admin_key(),
            "admin",
            [
                (
                    "revocation",
                    {
                        "key_id": key.key_id,
                        "revoked_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                        "reason": "test",
                    },
                )
            ],
        )
    later = datetime.now(UTC) + timedelta(seconds=5)
    _reject(inst, [_signed(key, 0, _measurement().canonical(), when=later)], "revoked")


def test_key_not_yet_valid(lab) -> None:  # type: ignore[no-untyped-def]
    """Validity is judged at the time the log receives the entry: a key registered to
    start tomorrow signs nothing today."""
    inst, _ = lab
    later, _ = keyring.generate("KINS")
    with inst.store.transaction() as conn:
        inst.register(
            conn, "KINS", "", None, "lab", later, valid_from=datetime.now(UTC) + timedelta(days=1)
        )
    _reject(inst, [_signed(later, 0, _measurement().canonical())], "not valid before")


def test_replayed_sequence_number(lab) -> None:  # type: ignore[no-untyped-def]
    inst, key = lab
    first = _signed(key, 0, _measurement().canonical())
    with inst.store.transaction() as conn:
        submit(inst.store, conn, [first])
    _reject(inst, [_signed(key, 0, _measurement(0.5, "KR-2").canonical())], "replayed or reordered")
    _reject(inst, [_signed(key, 5, _measurement(0.5, "KR-2").canonical())], "gap")


def test_same_result_twice_needs_a_correction(lab) -> None:  # type: ignore[no-untyped-def]
    inst, key = lab
    body = _measurement().canonical()
    with inst.store.transaction() as conn:
        submit(inst.store, conn, [_signed(key, 0, body)])
    _reject(inst, [_signed(key, 1, body)], "already logged")


def test_entry_over_64_kib() -> None:
    key, _ = keyring.generate("KINS")
    m = _measurement().replace(note="x" * 70_000)
    with pytest.raises(EntryError, match="at most 65535"):
        _signed(key, 0, m.canonical()).envelope_bytes()


def test_entry_over_64_kib_in_a_batch_rejects_the_batch(lab) -> None:  # type: ignore[no-untyped-def]
    inst, key = lab
    good = _signed(key, 0, _measurement().canonical())
    big = _signed(key, 1, _measurement(0.4, "KR-9").replace(note="x" * 70_000).canonical())
    _reject(inst, [good, big], "at most 65535")


def test_lab_cannot_register_keys(lab) -> None:  # type: ignore[no-untyped-def]
    inst, key = lab
    other, _ = keyring.generate("NOBODY")
    rec = {
        "key_id": other.key_id,
        "stakeholder": "KINS",
        "vkey": other.vkey,
        "valid_from": "2020-01-01T00:00:00Z",
    }
    _reject(inst, [_signed(key, 0, canonical_bytes(rec), kind="key")], "administrator")


def test_entry_bytes_round_trip_and_reject_non_canonical() -> None:
    key, _ = keyring.generate("KINS")
    e = _signed(key, 3, _measurement().canonical())
    data = e.envelope_bytes()
    assert Entry.from_bytes(data) == e
    pretty = json.dumps(json.loads(data), indent=1).encode()
    with pytest.raises(EntryError, match="canonical"):
        Entry.from_bytes(pretty)
    obj = json.loads(data)
    obj["signature"] = base64.b64encode(b"\0" * 64).decode()
    assert Entry.from_bytes(canonical_bytes(obj)).signature == b"\0" * 64


def test_correction_and_retraction_keep_history(lab) -> None:  # type: ignore[no-untyped-def]
    from seawitness.model import Correction

    inst, key = lab
    with inst.store.transaction() as conn:
        leaf = submit(inst.store, conn, [_signed(key, 0, _measurement(3.1).canonical())]).leaves[0]
        fix = Correction(supersedes=leaf, reason="decimal point", replacement=_measurement(0.31))
        leaf2 = submit(
            inst.store, conn, [_signed(key, 1, fix.canonical(), kind="correction")]
        ).leaves[0]
    hist = inst.store.history(leaf)
    assert [h["value"] for h in hist] == [3.1, 0.31]
    assert hist[1]["supersedes"] == leaf and hist[1]["reason"] == "decimal point"
    # correcting the old version again is refused: only the current one may be corrected
    stale = Correction(supersedes=leaf, reason="again", replacement=_measurement(0.2))
    _reject(inst, [_signed(key, 2, stale.canonical(), kind="correction")], "already superseded")
    gone = Correction(supersedes=leaf2, reason="sample contaminated")
    with inst.store.transaction() as conn:
        submit(inst.store, conn, [_signed(key, 2, gone.canonical(), kind="correction")])
    assert inst.store.measurements(Query(org="KINS")) == []
    assert len(inst.store.history(leaf)) == 3


def test_keygen_writes_private_key_0600(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from seawitness.cli.main import cli

    r = CliRunner().invoke(cli, ["keygen", "KINS", "--out", str(tmp_path)])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "KINS.key").stat().st_mode & 0o777 == 0o600
    assert "verifier key:        KINS+" in r.output
    again = CliRunner().invoke(cli, ["keygen", "KINS", "--out", str(tmp_path)])
    assert again.exit_code == 1 and "refusing to overwrite" in again.output


def test_only_the_submitter_may_correct_a_record(lab) -> None:  # type: ignore[no-untyped-def]
    from seawitness.model import Correction

    inst, key = lab
    other, _ = keyring.generate("MALLORY")
    with inst.store.transaction() as conn:
        inst.register(
            conn,
            "MALLORY",
            "Mallory Lab",
            None,
            "lab",
            other,
            valid_from=datetime.now(UTC) - timedelta(days=1),
        )
        leaf = submit(inst.store, conn, [_signed(key, 0, _measurement().canonical())]).leaves[0]
    rewrite = Correction(
        supersedes=leaf, reason="we prefer another value", replacement=_measurement(0.01)
    )
    _reject(
        inst,
        [_signed(other, 0, rewrite.canonical(), submitter="MALLORY", kind="correction")],
        "only they or an administrator",
    )
