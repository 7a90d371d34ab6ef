"""Publish the log as static files: a c2sp.org/tlog-tiles mirror anyone can audit.

Layout of the published directory (tlog-tiles "Checkpoint", "Merkle Tree" and "Log
Entries", plus a few text files so an auditor can start from the directory alone)::

    checkpoint                 latest checkpoint note (tlog-checkpoint) with every stored
                               witness cosignature line (tlog-cosignature) appended
    tile/<L>/<N>[.p/<W>]       hash tiles: every full tile, and the partial tiles of the
                               checkpoint's tree size
    tile/entries/<N>[.p/<W>]   entry bundles: uint16-BE length || leaf bytes, in order
    log.vkey                   the log's verifier key (c2sp.org/signed-note)
    admin.vkey                 the administrator trust anchor: signs every key registration
    witnesses                  witness verifier keys, one per line (may be empty)
    policy                     trust policy (c2sp.org/tlog-policy): log key + witness quorum
    README.txt                 how to audit the mirror

Every tile path names immutable contents: a full tile never changes, and a partial tile
``.p/<W>`` always holds the same first ``W`` hashes (tlog-tiles "Partial Tiles"). So
publishing again writes only paths that do not exist yet, rewrites the small text files
only if they changed, and writes ``checkpoint`` last, so that a reader never sees a
checkpoint whose tiles are missing. Every file is written to a temporary name and renamed
into place (atomic on POSIX), so a crash leaves either the old or the new file.

Partial tiles of earlier publications are left in place: tlog-tiles says a log MUST
serve the partial tiles that existed at checkpointed sizes.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from seawitness.errors import InputError
from seawitness.store import schema as s
from seawitness.store.log import bundle_at_width
from seawitness.store.store import Store
from seawitness.tlog.checkpoint import Checkpoint
from seawitness.tlog.merkle import HASH_SIZE
from seawitness.tlog.note import NoteError, NoteSignature, parse_note, parse_vkey
from seawitness.tlog.policy import PolicyError, parse_policy
from seawitness.tlog.tiles import (
    ENTRIES_LEVEL,
    TILE_WIDTH,
    TileCoord,
    tiles_for_size,
)

__all__ = [
    "ADMIN_VKEY_FILE",
    "CHECKPOINT_FILE",
    "LOG_VKEY_FILE",
    "POLICY_FILE",
    "README_FILE",
    "WITNESSES_FILE",
    "PublishError",
    "PublishReport",
    "cosigned_checkpoint",
    "default_policy",
    "publish",
    "write_atomic",
]

CHECKPOINT_FILE = "checkpoint"
LOG_VKEY_FILE = "log.vkey"
ADMIN_VKEY_FILE = "admin.vkey"
WITNESSES_FILE = "witnesses"
POLICY_FILE = "policy"
README_FILE = "README.txt"

Progress = Callable[[int, int], None]
"""``progress(done, total)``: called as tiles and bundles are written."""

_TILE_QUERY_BATCH = 500


class PublishError(InputError):
    """The log cannot be published (no checkpoint yet, inconsistent store, bad policy)."""


@dataclass
class PublishReport:
    """What one :func:`publish` run did."""

    directory: Path
    origin: str
    tree_size: int
    tiles_written: int = 0
    bundles_written: int = 0
    files_written: list[str] = field(default_factory=list)
    """Small files (checkpoint, keys, policy, README) that were new or changed."""
    skipped: int = 0
    """Tiles and bundles already present (immutable, so left alone)."""


# ---------------------------------------------------------------------------------------
# Inputs


def cosigned_checkpoint(store: Store) -> str:
    """The latest checkpoint note with every stored cosignature line for its size appended.

    Cosignatures are note signature lines (c2sp.org/tlog-cosignature); appending lines to
    a signed note keeps the log's own signature valid (c2sp.org/signed-note).
    """
    with store.engine.connect() as conn:
        row = conn.execute(
            select(s.checkpoints.c.size, s.checkpoints.c.note)
            .order_by(s.checkpoints.c.size.desc())
            .limit(1)
        ).first()
        if row is None:
            raise PublishError("the log has no checkpoint yet; nothing to publish")
        size, text = int(row[0]), str(row[1])
        lines = conn.execute(
            select(s.cosignatures.c.signature_line)
            .where(s.cosignatures.c.size == size)
            .order_by(s.cosignatures.c.witness)
        ).scalars()
        try:
            note = parse_note(text)
            extra = [NoteSignature.from_line(line.strip("\n")) for line in lines]
        except NoteError as exc:
            raise PublishError(f"stored checkpoint {size} is malformed: {exc}") from None
    known = set(note.signatures)
    return note.with_signatures(*[sig for sig in extra if sig not in known]).to_text()


def default_policy(
    log_vkey: str, witnesses: Sequence[str] = (), quorum: int = 0, comment: str = ""
) -> str:
    """A c2sp.org/tlog-policy text: the log key, the witnesses, ``quorum`` of them.

    Each witness is named after its key name (made unique if two share one). With
    ``quorum == 0`` no cosignature is required (``quorum none``).
    """
    if not 0 <= quorum <= len(witnesses):
        raise PublishError(f"quorum {quorum} is not in 0..{len(witnesses)} (the witnesses)")
    lines = ["# seawitness trust policy (c2sp.org/tlog-policy)"]
    if comment:
        lines.append(f"# {comment}")
    lines.append(f"log {log_vkey}")
    names: list[str] = []
    for vkey in witnesses:
        try:
            base = parse_vkey(vkey).name
        except NoteError as exc:
            raise PublishError(f"bad witness key {vkey!r}: {exc}") from None
        name, n = base, 1
        while name in names or name == "none":
            n += 1
            name = f"{base}-{n}"
        names.append(name)
        lines.append(f"witness {name} {vkey}")
    if quorum:
        lines.append(f"group witnesses {quorum} {' '.join(names)}")
        lines.append("quorum witnesses")
    else:
        lines.append("quorum none")
    text = "\n".join(lines) + "\n"
    _check_policy(text, log_vkey)
    return text


def _check_policy(text: str, log_vkey: str) -> list[str]:
    """Parse a policy, require it to trust ``log_vkey``; return its witness vkeys."""
    try:
        policy = parse_policy(text)
    except PolicyError as exc:
        raise PublishError(f"invalid trust policy: {exc}") from None
    if log_vkey not in {log.vkey for log in policy.logs}:
        raise PublishError("the trust policy does not list this log's key")
    return [witness.vkey for witness in policy.witnesses]


def _readme(origin: str, log_vkey: str, admin_vkey: str) -> str:
    return f"""\
seawitness transparency log mirror
==================================

origin:     {origin}
log key:    {log_vkey}
admin key:  {admin_vkey}

This directory is a static copy of a seawitness log in the c2sp.org/tlog-tiles layout:
`checkpoint` (signed tree head, with witness cosignatures), `tile/<L>/<N>` (hash tiles)
and `tile/entries/<N>` (the signed entries themselves). Serve it with any web server,
e.g. `python -m http.server`, or copy it anywhere.

To audit it (no database needed; every entry, signature and hash is re-checked):

    seawitness audit . --trust-log-key '{log_vkey}' --admin-vkey '{admin_vkey}'
    seawitness audit https://mirror.example.org/log/ --policy my-policy.txt

Compare the keys above with ones you obtained from the log operator through another
channel: an audit that trusts the key files in this directory only proves that the
mirror is self-consistent. Run the audit again later: it remembers the last checkpoint it
verified and refuses a log that was rewritten (forked) or shrunk since.
"""


# ---------------------------------------------------------------------------------------
# Writing


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same directory + rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def _write_if_changed(directory: Path, name: str, data: bytes, report: PublishReport) -> None:
    path = directory / name
    try:
        if path.read_bytes() == data:
            return
    except FileNotFoundError:
        pass
    write_atomic(path, data)
    report.files_written.append(name)


def _bundle_coords(tree_size: int) -> Iterator[TileCoord]:
    full, partial = divmod(tree_size, TILE_WIDTH)
    for index in range(full):
        yield TileCoord(ENTRIES_LEVEL, index, TILE_WIDTH)
    if partial:
        yield TileCoord(ENTRIES_LEVEL, full, partial)


def _stored_tiles(store: Store, coords: Sequence[TileCoord]) -> Iterator[tuple[TileCoord, bytes]]:
    """Read hash tiles from the store, cut to each coordinate's width."""
    by_level: dict[int, list[TileCoord]] = {}
    for coord in coords:
        by_level.setdefault(coord.level, []).append(coord)
    with store.engine.connect() as conn:
        for level, wanted in sorted(by_level.items()):
            for start in range(0, len(wanted), _TILE_QUERY_BATCH):
                batch = {c.index: c for c in wanted[start : start + _TILE_QUERY_BATCH]}
                rows = conn.execute(
                    select(s.tiles.c.idx, s.tiles.c.data).where(
                        s.tiles.c.level == level, s.tiles.c.idx.in_(list(batch))
                    )
                )
                found = {int(idx): bytes(data) for idx, data in rows}
                for index, coord in batch.items():
                    data = found.get(index, b"")
                    if len(data) < coord.width * HASH_SIZE:
                        raise PublishError(f"{coord.path} is missing or short in the store")
                    yield coord, data[: coord.width * HASH_SIZE]


def _refuse_rollback(directory: Path, checkpoint: Checkpoint) -> None:
    """Refuse to replace a published checkpoint by a smaller or different one.

    Mirrors are append-only like the log: publishing an older store over a newer mirror
    would look like a shrink (or a fork) to every auditor.
    """
    try:
        old = Checkpoint.from_text(parse_note((directory / CHECKPOINT_FILE).read_bytes()).text)
    except FileNotFoundError:
        return
    except (NoteError, ValueError):
        return  # not ours or damaged: overwrite it
    if old.origin != checkpoint.origin:
        raise PublishError(
            f"{directory} holds a mirror of {old.origin!r}, not {checkpoint.origin!r}"
        )
    if old.size > checkpoint.size or (
        old.size == checkpoint.size and old.root_hash != checkpoint.root_hash
    ):
        raise PublishError(
            f"{directory} already holds checkpoint {old.size}, newer than or different "
            f"from this log's checkpoint {checkpoint.size}; refusing to roll it back"
        )


def publish(
    store: Store,
    directory: Path,
    *,
    policy: str | None = None,
    witnesses: Sequence[str] = (),
    quorum: int = 0,
    progress: Progress | None = None,
) -> PublishReport:
    """Write (or bring up to date) a static tlog-tiles mirror of the log in ``directory``.

    :param policy: tlog-policy text to publish; it must list the log's key. Default: one
        built by :func:`default_policy` from ``witnesses`` and ``quorum``.
    :param witnesses: witness ``cosignature/v1`` verifier keys (used when ``policy`` is
        not given). Default: the keys of the witness stakeholders registered in the log.
    :param quorum: how many of ``witnesses`` must cosign (0: none required).
    :param progress: called as ``progress(done, total)`` over the tiles and bundles.
    """
    directory = Path(directory)
    origin = store.get_meta("origin")
    log_vkey = store.get_meta("log_vkey")
    admin_vkey = store.get_meta("admin_vkey")
    if not (origin and log_vkey and admin_vkey):
        raise PublishError("the store has no origin, log key or administrator key")
    if not witnesses and policy is None:
        witnesses = registered_witnesses(store)
    note = cosigned_checkpoint(store)
    checkpoint = Checkpoint.from_text(parse_note(note).text)
    if checkpoint.origin != origin:
        raise PublishError(f"checkpoint origin {checkpoint.origin!r} is not {origin!r}")
    if policy is None:
        policy = default_policy(log_vkey, witnesses, quorum)
    witness_keys = _check_policy(policy, log_vkey)

    size = checkpoint.size
    _refuse_rollback(directory, checkpoint)
    report = PublishReport(directory=directory, origin=origin, tree_size=size)
    directory.mkdir(parents=True, exist_ok=True)
    tiles = [c for c in tiles_for_size(size)]
    bundles = list(_bundle_coords(size))
    total, done = len(tiles) + len(bundles), 0
    missing_tiles = [c for c in tiles if not (directory / c.path).exists()]
    missing_bundles = [c for c in bundles if not (directory / c.path).exists()]
    done = total - len(missing_tiles) - len(missing_bundles)
    report.skipped = done
    if progress:
        progress(done, total)

    for coord, data in _stored_tiles(store, missing_tiles):
        write_atomic(directory / coord.path, data)
        report.tiles_written += 1
        done += 1
        if progress:
            progress(done, total)
    for coord in missing_bundles:
        with store.engine.connect() as c:
            bundle = bundle_at_width(c, coord.index, coord.width)
        if bundle is None:
            raise PublishError(f"the store holds fewer than {coord.width} entries for {coord.path}")
        write_atomic(directory / coord.path, bundle)
        report.bundles_written += 1
        done += 1
        if progress:
            progress(done, total)

    _write_if_changed(directory, LOG_VKEY_FILE, f"{log_vkey}\n".encode(), report)
    _write_if_changed(directory, ADMIN_VKEY_FILE, f"{admin_vkey}\n".encode(), report)
    witness_text = "".join(f"{vkey}\n" for vkey in witness_keys)
    _write_if_changed(directory, WITNESSES_FILE, witness_text.encode(), report)
    _write_if_changed(directory, POLICY_FILE, policy.encode(), report)
    _write_if_changed(
        directory, README_FILE, _readme(origin, log_vkey, admin_vkey).encode(), report
    )
    # Last: only now do the tiles this checkpoint implies all exist.
    _write_if_changed(directory, CHECKPOINT_FILE, note.encode(), report)
    return report


def registered_witnesses(store: Store) -> list[str]:
    """``cosignature/v1`` verifier keys of the log's witness stakeholders, not revoked."""
    from sqlalchemy import select

    from seawitness.store import schema as sch
    from seawitness.tlog.note import ALG_COSIGNATURE_V1, parse_vkey

    with store.engine.connect() as c:
        rows = c.execute(
            select(sch.keys.c.vkey)
            .join(sch.stakeholders, sch.stakeholders.c.id == sch.keys.c.stakeholder)
            .where(sch.stakeholders.c.kind == "witness", sch.keys.c.revoked_at.is_(None))
        )
        return sorted(v for (v,) in rows if parse_vkey(v).alg == ALG_COSIGNATURE_V1)
