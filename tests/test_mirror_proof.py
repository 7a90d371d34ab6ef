"""Record proofs: built from the store, checked offline, and by an independent RFC 9162 check."""

from __future__ import annotations

import base64
import copy
import hashlib
from typing import Any

import pytest

from seawitness.mirror import RecordProofError, build_proof, verify_proof
from seawitness.tlog.checkpoint import Checkpoint, sign_checkpoint
from seawitness.tlog.keys import generate_private_key
from seawitness.tlog.note import Ed25519Signer, parse_note


def _pins(inst) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"trust_log_key": inst.log_key().vkey, "admin_vkey": inst.admin_key().vkey}


def _failed(report) -> list[str]:  # type: ignore[no-untyped-def]
    return [c.name for c in report.checks if c.status == "FAIL"]


# An RFC 9162 §2.1.3 inclusion check written independently of seawitness.tlog: it
# follows the recursive definition of PATH(m, D[n]) instead of the iterative algorithm.
def _h(*parts: bytes) -> bytes:
    return hashlib.sha256(b"".join(parts)).digest()


def _root_from_path(m: int, n: int, leaf: bytes, path: list[bytes]) -> bytes:
    if n == 1:
        assert not path, "proof too long"
        return leaf
    assert path, "proof too short"
    k = 1 << ((n - 1).bit_length() - 1)  # largest power of two smaller than n
    if m < k:
        return _h(b"\x01", _root_from_path(m, k, leaf, path[:-1]), path[-1])
    return _h(b"\x01", path[-1], _root_from_path(m - k, n - k, leaf, path[:-1]))


def _independent_check(bundle: dict[str, Any]) -> bool:
    leaf = _h(b"\x00", base64.b64decode(bundle["entry"]))
    path = [bytes.fromhex(h) for h in bundle["inclusion_proof"]]
    lines = bundle["checkpoint"].split("\n")
    size, root = int(lines[1]), base64.b64decode(lines[2])
    try:
        computed = _root_from_path(bundle["leaf_index"], bundle["tree_size"], leaf, path)
    except AssertionError:
        return False
    return size == bundle["tree_size"] and computed == root


def _bad_signature(entry: str) -> str:
    """The same entry with one base64 character of its signature changed."""
    data = base64.b64decode(entry)
    at = data.index(b'"signature":"') + len(b'"signature":"') + 10
    swapped = b"B" if data[at : at + 1] != b"B" else b"C"
    return base64.b64encode(data[:at] + swapped + data[at + 1 :]).decode()


@pytest.fixture
def bundle(instance) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return build_proof(instance.store, 1234)


def test_prove_then_verify_passes(instance, bundle: dict[str, Any]) -> None:  # type: ignore[no-untyped-def]
    assert bundle["format"] == "seawitness-proof/v1"
    assert bundle["tree_size"] == instance.store.tree_size()
    assert bundle["leaf_index"] == 1234 and bundle["kind"] == "measurement"
    assert bundle["signer"]["registration"]["leaf_index"] < 1234
    report = verify_proof(bundle, **_pins(instance))
    assert report.ok, [c.line() for c in report.checks]
    # Every check passes; the one warning says the bundled result's key is a demo key.
    assert [c.name for c in report.checks if c.status != "PASS"] == ["demo key"]
    assert next(c for c in report.checks if c.name == "demo key").status == "WARN"
    names = {c.name for c in report.checks}
    assert {"entry signature", "inclusion proof", "checkpoint root", "key registration"} <= names
    assert _independent_check(bundle)


def test_record_id_resolves_to_the_same_leaf(instance, bundle: dict[str, Any]) -> None:  # type: ignore[no-untyped-def]
    by_id = build_proof(instance.store, bundle["record_id"])
    assert by_id["leaf_index"] == 1234
    with pytest.raises(RecordProofError):
        build_proof(instance.store, "0" * 64)
    with pytest.raises(RecordProofError):
        build_proof(instance.store, 10**9)


def test_first_entry_is_signed_by_the_anchor(instance) -> None:  # type: ignore[no-untyped-def]
    first = build_proof(instance.store, 0)
    assert first["signer"]["registration"] is None
    assert verify_proof(first, **_pins(instance)).ok
    unpinned = verify_proof(first, trust_log_key=instance.log_key().vkey)
    assert unpinned.ok and any(c.status == "WARN" for c in unpinned.checks)


@pytest.mark.parametrize(
    ("tamper", "failing"),
    [
        (lambda b: b["record"].update(value=999.0), "entry"),
        (lambda b: b.update(submitter="someone else"), "entry"),
        (lambda b: b.update(entry=_bad_signature(b["entry"])), "entry signature"),
        (lambda b: b["inclusion_proof"].__setitem__(3, "00" * 32), "checkpoint root"),
        (lambda b: b["inclusion_proof"].pop(), "inclusion proof"),
        (lambda b: b.update(checkpoint=b["checkpoint"].replace("\n\n", "\n\n\n", 1)), ""),
        (lambda b: b.update(tree_size=b["tree_size"] - 1), "checkpoint tree size"),
        (lambda b: b["signer"]["registration"].update(leaf_index=2), "registration root"),
    ],
)
def test_tampered_proof_fails(instance, bundle: dict[str, Any], tamper, failing: str) -> None:  # type: ignore[no-untyped-def]
    broken = copy.deepcopy(bundle)
    tamper(broken)
    report = verify_proof(broken, **_pins(instance))
    assert not report.ok
    if failing:
        assert _failed(report) == [failing]


def test_sibling_hash_change_also_fails_the_independent_check(bundle: dict[str, Any]) -> None:
    broken = copy.deepcopy(bundle)
    broken["inclusion_proof"][0] = hashlib.sha256(b"x").hexdigest()
    assert not _independent_check(broken)
    assert not verify_proof(broken, trust_log_key=None).ok


def test_checkpoint_with_another_root_or_key_fails(instance, bundle: dict[str, Any]) -> None:  # type: ignore[no-untyped-def]
    checkpoint = Checkpoint.from_text(parse_note(bundle["checkpoint"]).text)
    other_root = Checkpoint(checkpoint.origin, checkpoint.size, hashlib.sha256(b"x").digest())
    resigned = dict(bundle, checkpoint=sign_checkpoint(other_root, instance.log_key().signer))
    assert _failed(verify_proof(resigned, **_pins(instance))) == ["checkpoint root"]

    impostor = Ed25519Signer(checkpoint.origin, generate_private_key())
    forged = dict(bundle, checkpoint=sign_checkpoint(checkpoint, impostor))
    assert _failed(verify_proof(forged, **_pins(instance))) == ["checkpoint signature"]


def test_pymerkle_agrees_on_the_root(instance, bundle: dict[str, Any]) -> None:  # type: ignore[no-untyped-def]
    pymerkle = pytest.importorskip("pymerkle")
    tree = pymerkle.InmemoryTree(algorithm="sha256")
    for data in instance.store.entries_range(0, bundle["tree_size"]):
        tree.append_entry(data)
    root = base64.b64decode(bundle["checkpoint"].split("\n")[2])
    assert tree.get_root() == root  # RFC 6962 roots, computed by another library


def test_malformed_json_fails_cleanly() -> None:
    report = verify_proof(b"{not json")
    assert not report.ok and _failed(report) == ["format"]
