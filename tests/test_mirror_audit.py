"""The offline audit: a faithful mirror passes, and every kind of tampering is named."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from conftest import load_files, small_orbs_paths
from seawitness.instance import Instance
from seawitness.mirror import AuditFailure, audit, publish
from seawitness.tlog.checkpoint import Checkpoint, sign_checkpoint
from seawitness.tlog.keys import generate_private_key
from seawitness.tlog.note import Ed25519Signer, parse_note
from seawitness.tlog.tiles import encode_entry_bundle, parse_entry_bundle, tile_path

ORIGIN = "test.local/seawitness"


@dataclass
class Published:
    instance: Instance
    mirror: Path
    size: int

    @property
    def pins(self) -> dict[str, str]:
        return {
            "trust_log_key": self.instance.log_key().vkey,
            "admin_vkey": self.instance.admin_key().vkey,
        }


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """One SQLite instance with the small ORBS files, published once for the module."""
    root = tmp_path_factory.mktemp("audit")
    inst = Instance.create(root / "inst", db_url=str(root / "db.sqlite"), origin=ORIGIN)
    load_files(inst, small_orbs_paths())
    publish(inst.store, root / "mirror")
    yield Published(inst, root / "mirror", inst.store.tree_size())
    inst.store.close()


@pytest.fixture
def mirror(published: Published, tmp_path: Path) -> Path:
    """A private copy of the published mirror, to tamper with."""
    return Path(shutil.copytree(published.mirror, tmp_path / "mirror"))


def _entry_span(bundle: bytes, position: int) -> tuple[int, int]:
    """Byte offsets [start, end) of entry ``position`` inside an entry bundle."""
    offset = 0
    for _ in range(position):
        offset += 2 + int.from_bytes(bundle[offset : offset + 2], "big")
    length = int.from_bytes(bundle[offset : offset + 2], "big")
    return offset + 2, offset + 2 + length


def _flip(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def _audit_failure(published: Published, mirror: Path, **kwargs: object) -> AuditFailure:
    options = {"workers": 1, **published.pins, **kwargs}
    with pytest.raises(AuditFailure) as caught:
        audit(mirror, **options)  # type: ignore[arg-type]
    return caught.value


def test_faithful_mirror_passes_with_two_processes(published: Published, mirror: Path) -> None:
    seen: list[tuple[int, int]] = []
    report = audit(mirror, workers=2, progress=lambda d, t: seen.append((d, t)), **published.pins)
    assert report.tree_size == published.size
    assert report.workers == 2
    assert report.tiles_checked >= published.size // 256 + 2
    assert seen[-1] == (published.size, published.size)
    assert report.records_per_second > 0


def test_trusting_the_mirror_keys_warns(published: Published, mirror: Path) -> None:
    report = audit(mirror, workers=1)
    assert len(report.warnings) == 2
    assert "policy" in report.warnings[0] and "admin.vkey" in report.warnings[1]


def test_changed_byte_in_an_entry_names_the_leaf(published: Published, mirror: Path) -> None:
    bundle = mirror / "tile/entries/003"
    start, end = _entry_span(bundle.read_bytes(), 10)
    data = bundle.read_bytes()
    value = data.index(b'"value":', start)  # inside the signed record
    assert value < end
    digit = value + len(b'"value":')
    patched = data[:digit] + (b"7" if data[digit : digit + 1] != b"7" else b"8") + data[digit + 1 :]
    bundle.write_bytes(patched)
    failure = _audit_failure(published, mirror)
    assert failure.leaf_index == 3 * 256 + 10
    assert "signature" in failure.reason


def test_first_bad_entry_is_named_with_parallel_workers(published: Published, mirror: Path) -> None:
    for bundle_index, position in ((20, 5), (1, 200)):
        bundle = mirror / f"tile/entries/{bundle_index:03d}"
        start, end = _entry_span(bundle.read_bytes(), position)
        _flip(bundle, (start + end) // 2)
    failure = _audit_failure(published, mirror, workers=2)
    assert failure.leaf_index == 256 + 200


def test_changed_hash_tile_is_named(published: Published, mirror: Path) -> None:
    _flip(mirror / tile_path(0, 2), 5 * 32 + 7)
    failure = _audit_failure(published, mirror)
    assert failure.path == "tile/0/002"
    assert "hash 5" in failure.reason


def test_changed_upper_level_tile_is_named(published: Published, mirror: Path) -> None:
    full = published.size // 256
    path = tile_path(1, 0, full)
    _flip(mirror / path, 3)
    assert _audit_failure(published, mirror).path == path


def test_changed_checkpoint_fails_its_signature(published: Published, mirror: Path) -> None:
    note = (mirror / "checkpoint").read_text()
    origin, size, root, rest = note.split("\n", 3)
    forged = root[:5] + ("A" if root[5] != "A" else "B") + root[6:]
    (mirror / "checkpoint").write_text(f"{origin}\n{size}\n{forged}\n{rest}")
    failure = _audit_failure(published, mirror)
    assert failure.path == "checkpoint"
    assert "signature" in failure.reason


def test_entry_removed_from_a_bundle_is_named(published: Published, mirror: Path) -> None:
    bundle = mirror / "tile/entries/004"
    entries = parse_entry_bundle(bundle.read_bytes())
    del entries[17]
    bundle.write_bytes(encode_entry_bundle(entries))
    failure = _audit_failure(published, mirror)
    assert failure.path == "tile/entries/004"
    assert "255 entries, expected 256" in failure.reason
    assert f"leaf {4 * 256 + 17}" in failure.reason


def test_truncated_bundle_is_named(published: Published, mirror: Path) -> None:
    bundle = mirror / "tile/entries/006"
    bundle.write_bytes(bundle.read_bytes()[:-100])
    failure = _audit_failure(published, mirror)
    assert failure.path == "tile/entries/006"


def test_missing_tile_is_named(published: Published, mirror: Path) -> None:
    (mirror / tile_path(0, 9)).unlink()
    failure = _audit_failure(published, mirror)
    assert failure.path == "tile/0/009"
    assert "missing" in failure.reason


def test_checkpoint_signed_by_an_unknown_key_is_rejected(
    published: Published, mirror: Path
) -> None:
    checkpoint = Checkpoint.from_text(parse_note((mirror / "checkpoint").read_text()).text)
    impostor = Ed25519Signer(ORIGIN, generate_private_key())
    (mirror / "checkpoint").write_text(sign_checkpoint(checkpoint, impostor))
    failure = _audit_failure(published, mirror)
    assert failure.path == "checkpoint"
    assert "no verifiable signatures" in failure.reason
    # An attacker who also swaps the mirror's key files fools only an unpinned audit.
    (mirror / "log.vkey").write_text(impostor.vkey + "\n")
    (mirror / "policy").write_text(f"log {impostor.vkey}\nquorum none\n")
    assert audit(mirror, workers=1).warnings
    assert _audit_failure(published, mirror).path == "checkpoint"


def test_wrong_admin_anchor_is_caught_at_the_first_entry(
    published: Published, mirror: Path
) -> None:
    other = Ed25519Signer("admin", generate_private_key()).vkey
    failure = _audit_failure(published, mirror, admin_vkey=other)
    assert failure.leaf_index == 0


# ---------------------------------------------------------------------------------------
# Audit state: consistency with the last verified checkpoint


def _resign(mirror: Path, signer: Ed25519Signer) -> None:
    checkpoint = Checkpoint.from_text(parse_note((mirror / "checkpoint").read_text()).text)
    (mirror / "checkpoint").write_text(sign_checkpoint(checkpoint, signer))


@pytest.mark.slow
def test_growing_log_passes_then_fork_and_shrink_are_refused(tmp_path: Path) -> None:
    paths = small_orbs_paths()
    a = Instance.create(tmp_path / "a", db_url=str(tmp_path / "a.db"), origin=ORIGIN)
    load_files(a, paths[:2])
    state = tmp_path / "state"
    pins = {"trust_log_key": a.log_key().vkey, "admin_vkey": a.admin_key().vkey}
    publish(a.store, tmp_path / "mirror-a")
    first = audit(tmp_path / "mirror-a", state_dir=state, workers=1, **pins)
    assert first.previous_size is None and (state / "checkpoint").is_file()

    load_files(a, paths[2:3])
    publish(a.store, tmp_path / "mirror-a")
    second = audit(tmp_path / "mirror-a", state_dir=state, workers=1, **pins)
    assert second.previous_size == first.tree_size < second.tree_size

    # The same origin and log key over different entries: a fork.
    b = Instance.create(tmp_path / "b", db_url=str(tmp_path / "b.db"), origin=ORIGIN)
    load_files(b, paths)
    publish(b.store, tmp_path / "mirror-b")
    _resign(tmp_path / "mirror-b", a.log_key().signer)
    forged = {"trust_log_key": a.log_key().vkey, "admin_vkey": b.admin_key().vkey}
    assert audit(tmp_path / "mirror-b", workers=1, **forged).tree_size > second.tree_size
    with pytest.raises(AuditFailure, match="fork") as caught:
        audit(tmp_path / "mirror-b", state_dir=state, workers=1, **forged)
    assert caught.value.path == "checkpoint"

    # A smaller tree than the one verified before: a shrink.
    c = Instance.create(tmp_path / "c", db_url=str(tmp_path / "c.db"), origin=ORIGIN)
    load_files(c, paths[:1])
    publish(c.store, tmp_path / "mirror-c")
    _resign(tmp_path / "mirror-c", a.log_key().signer)
    with pytest.raises(AuditFailure, match="shrank"):
        audit(tmp_path / "mirror-c", state_dir=state, workers=1, **pins)

    # The refused mirrors did not overwrite the state: the honest mirror still passes.
    assert audit(tmp_path / "mirror-a", state_dir=state, workers=1, **pins).previous_size == (
        second.tree_size
    )
    for inst in (a, b, c):
        inst.store.close()


# ---------------------------------------------------------------------------------------
# Over HTTP


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def served(published: Published):  # type: ignore[no-untyped-def]
    """The published mirror behind ``python -m http.server`` on a free local port."""
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        cwd=published.mirror,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                httpx.get(url + "checkpoint", timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_audit_over_http(published: Published, served: str) -> None:
    report = audit(served, workers=2, **published.pins)
    assert report.tree_size == published.size
    assert report.source == served


def test_audit_over_http_names_a_missing_file(published: Published, served: str) -> None:
    with pytest.raises(AuditFailure, match="missing") as caught:
        audit(served + "nowhere/", workers=1, **published.pins)
    assert caught.value.path == "checkpoint"
