"""Bulk import: diff a source download against the store and log what changed.

Public sources revise the past in place (ORBS fills in late tritium results, replaces
rapid results by precise ones, changes values and changes them back) and carry no sample
ids. So an import never overwrites and never duplicates: for each result it computes the
natural key (Measurement.natural_key) and compares with the current version in the store:

* key unknown → a new ``measurement`` entry;
* same canonical record → unchanged, nothing is written (importing a file twice adds
  nothing);
* different record → a ``correction`` entry that supersedes the current version, with the
  reason ``"source revised"``: the old value stays in the log and in the history.

All files of one import are one transaction: a bad row anywhere leaves the database as it
was (unless ``skip_invalid``, which sets bad rows aside with their reasons).
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, func, insert, select

from seawitness.ingest.base import ReadResult, Rejected
from seawitness.ingest.submit import submit
from seawitness.keyring import KeyPair, sign_many
from seawitness.model import Correction, Measurement
from seawitness.model.entry import SIGNING_PREFIX, Entry
from seawitness.store import schema as s
from seawitness.store.store import Store, series_key

SOURCE_REVISED = "source revised"

Signer = Callable[[Connection, str], tuple[str, KeyPair]]
"""Given the transaction and an organisation: the submitting stakeholder and its key."""


@dataclass
class FileReport:
    path: str
    source: str
    sha256: str
    read: int = 0
    new: int = 0
    revised: int = 0
    unchanged: int = 0
    duplicates: int = 0
    not_analysed: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass
class ImportReport:
    files: list[FileReport] = field(default_factory=list)
    tree_size: int = 0

    def total(self, name: str) -> int:
        return sum(
            len(getattr(f, name)) if name == "rejected" else getattr(f, name) for f in self.files
        )

    @property
    def rejected(self) -> list[Rejected]:
        return [r for f in self.files for r in f.rejected]


def file_sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _hash_of(result: ReadResult) -> str:
    base = result.path.split("[", 1)[0]  # a workbook sheet: "book.xlsx[T-1]"
    try:
        return file_sha256(base)
    except OSError:
        return ""


def import_results(
    store: Store,
    results: Iterable[ReadResult],
    signer: Signer,
    *,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    after_append: Callable[[Connection], object] | None = None,
    on_file: Callable[[ReadResult], None] | None = None,
) -> ImportReport:
    """Import read results in one transaction; return what each file added and revised.

    ``after_append`` runs inside the transaction once all entries are appended (the
    instance uses it to sign the new checkpoint atomically with the rows).
    """
    report = ImportReport()
    with store.transaction() as conn:
        results = list(results)
        heads: dict[str, Any] = _heads_for(store, conn, results)
        total = sum(len(r.measurements) for r in results)
        with _Signer(parallel=total >= PARALLEL_SIGNING_FROM) as signing:
            pipeline = _Pipeline(store, conn, heads, signing, report, now, on_file)
            seqs: dict[str, int] = {}
            for result in results:
                keys = [series_key(m) for m in result.measurements]
                if pipeline.pending_keys.intersection(keys):
                    pipeline.flush()  # a later file revises a result still on its way in
                fr = FileReport(
                    path=result.path,
                    source=result.source,
                    sha256=_hash_of(result),
                    not_analysed=result.not_analysed,
                    rejected=list(result.rejected),
                    warnings=list(result.warnings),
                )
                store.upsert_stations(conn, result.stations)
                changes = _diff(conn, result.measurements, keys, heads, signer, fr, now(), seqs)
                pipeline.add(result, fr, changes)
            pipeline.flush()
        if after_append is not None:
            after_append(conn)
        report.tree_size = store.tree_size(conn)
    return report


PARALLEL_SIGNING_FROM = 5000
"""Imports with at least this many results sign on a worker process while the main
process diffs and writes: Ed25519 signing (one per record) is the largest single cost
and holds the GIL, so threads would not help."""


class _Signer:
    """Signs the entries of one file, inline or on a worker process."""

    def __init__(self, *, parallel: bool) -> None:
        workers = max(1, (os.cpu_count() or 1) - 1)
        # "spawn": a forked child would share the parent's open database connections.
        self.pool = (
            ProcessPoolExecutor(
                max_workers=workers, mp_context=multiprocessing.get_context("spawn")
            )
            if parallel
            else None
        )

    def __enter__(self) -> _Signer:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)

    def start(self, entries: list[tuple[Entry, KeyPair]]) -> Callable[[], list[Entry]]:
        """Begin signing; the returned function gives the signed entries, in order."""
        if self.pool is None or not entries:
            signed = [e.signed(key.sign) for e, key in entries]
            return lambda: signed
        key = entries[0][1]
        if any(k is not key for _, k in entries):  # one file, several signers: inline
            signed = [e.signed(k.sign) for e, k in entries]
            return lambda: signed
        halves = [e.halves() for e, _ in entries]
        messages = [SIGNING_PREFIX + h + t for h, t in halves]
        try:
            future: Future[list[bytes]] | None = self.pool.submit(
                sign_many, key.signer.skey, messages
            )
        except BrokenProcessPool:
            future = None

        def finish() -> list[Entry]:
            try:
                if future is None:
                    raise BrokenProcessPool
                sigs = future.result()
            except BrokenProcessPool:  # e.g. a __main__ a worker cannot import: sign here
                sigs = [key.sign(m) for m in messages]
            return [
                e.with_signature(sig, enc)
                for (e, _), sig, enc in zip(entries, sigs, halves, strict=True)
            ]

        return finish


class _Pipeline:
    """Files whose entries are being signed, written to the log in import order."""

    def __init__(
        self,
        store: Store,
        conn: Connection,
        heads: dict[str, Any],
        signing: _Signer,
        report: ImportReport,
        now: Callable[[], datetime],
        on_file: Callable[[ReadResult], None] | None,
    ) -> None:
        self.store, self.conn, self.heads, self.signing = store, conn, heads, signing
        self.report, self.now, self.on_file = report, now, on_file
        self.pending: list[tuple[ReadResult, FileReport, list[Any], Callable[[], list[Entry]]]]
        self.pending = []
        self.pending_keys: set[str] = set()

    def add(self, result: ReadResult, fr: FileReport, changes: list[Any]) -> None:
        done = self.signing.start([(e, key) for e, _, _, _, key in changes])
        self.pending.append((result, fr, changes, done))
        self.pending_keys.update(sk for _, sk, _, _, _ in changes)

    def flush(self) -> None:
        for result, fr, changes, done in self.pending:
            if changes:
                self._write(fr, changes, done())
            self.report.files.append(fr)
            if self.on_file:
                self.on_file(result)
        self.pending.clear()
        self.pending_keys.clear()

    def _write(self, fr: FileReport, changes: list[Any], entries: list[Entry]) -> None:
        row = self.conn.execute(
            insert(s.imports).values(
                source=fr.source,
                path=Path(fr.path).name,
                sha256=fr.sha256,
                imported_at=self.now(),
                n_new=fr.new,
                n_revised=fr.revised,
                n_unchanged=fr.unchanged,
                n_rejected=len(fr.rejected),
            )
        )
        acc = submit(
            self.store,
            self.conn,
            entries,
            import_id=row.inserted_primary_key[0],  # type: ignore[index]
            verify=False,
            known_heads=self.heads,
            parsed=[p for _, _, p, _, _ in changes],
            parsed_keys=[sk if isinstance(p, Measurement) else None for _, sk, p, _, _ in changes],
        )
        for (_, sk, _, mid, _), leaf in zip(changes, acc.leaves, strict=True):
            self.heads[sk] = _HeadRef(leaf, mid)


def _heads_for(store: Store, conn: Connection, results: list[ReadResult]) -> dict[str, Any]:
    """The stored heads the import can touch: all of them for a large import, else only
    those of its own series (cheap for one file into a large store)."""
    n = sum(len(r.measurements) for r in results)
    if n > 20_000 or store.tree_size(conn) < 4 * n:
        return dict(store.heads(conn))
    return dict(store.heads(conn, [series_key(m) for r in results for m in r.measurements]))


@dataclass
class _HeadRef:
    leaf_index: int
    record_id: str  # id of the current measurement (a correction's replacement)


def _diff(
    conn: Connection,
    measurements: list[Measurement],
    keys: list[str],
    heads: dict[str, Any],
    signer: Signer,
    fr: FileReport,
    when: datetime,
    seqs: dict[str, int],
) -> list[tuple[Entry, str, Measurement | Correction, str, KeyPair]]:
    """Unsigned entries for what is new or changed, each with its series key, its record,
    the id of the measurement it makes current, and the key that is to sign it.

    ``seqs`` carries each submitter's next sequence number across the files of an import.
    """
    out: list[tuple[Entry, str, Measurement | Correction, str, KeyPair]] = []
    seen: set[str] = set()
    for m, sk in zip(measurements, keys, strict=True):
        fr.read += 1
        if sk in seen:
            fr.duplicates += 1
            fr.warnings.append(f"duplicate result left out: {' | '.join(m.natural_key())}")
            continue
        seen.add(sk)
        rec_bytes = m.canonical()
        head = heads.get(sk)
        mid = hashlib.sha256(rec_bytes).hexdigest()
        if head is not None and head.record_id == mid:
            fr.unchanged += 1
            continue
        submitter, key = signer(conn, m.org)
        if submitter not in seqs:
            seqs[submitter] = _next_seq(conn, submitter)
        record: Measurement | Correction
        if head is None:
            kind, body, record = "measurement", rec_bytes, m
            fr.new += 1
        else:
            kind = "correction"
            record = Correction(supersedes=head.leaf_index, reason=SOURCE_REVISED, replacement=m)
            body = record.canonical()
            fr.revised += 1
        e = Entry(
            kind=kind,
            record_bytes=body,
            submitter=submitter,
            key_id=key.key_id,
            seq=seqs[submitter],
            submitted_at=when,
        )
        seqs[submitter] += 1
        out.append((e, sk, record, mid, key))
    return out


def _next_seq(conn: Connection, submitter: str) -> int:
    got = conn.execute(
        select(func.max(s.entries.c.seq)).where(s.entries.c.submitter == submitter)
    ).scalar_one_or_none()
    return 0 if got is None else int(got) + 1
