"""The one gate into the log: check a batch of signed entries, then append it.

Every entry, whether it comes from ``seawitness submit``, the HTTP API or a bulk import,
passes the same checks before anything is written:

1. the entry is at most 64 KiB and well formed;
2. its key is registered, belongs to the submitter, and is valid at ``submitted_at``
   (after ``valid_from``, before ``valid_until`` and before any revocation);
3. the Ed25519 signature verifies over the signed message;
4. the sequence number is exactly the submitter's next one (no replay, no reordering,
   no gap);
5. the record is valid for its kind (a measurement passes the model's rules, a correction
   points at the current version of a logged record, key events are signed by an
   administrator).

The batch is all-or-nothing: the first failure raises :class:`SubmissionError` naming the
entry and the reason, and the surrounding transaction rolls back, so a rejected
submission changes nothing.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import Connection, insert, select, update

from seawitness.errors import InputError
from seawitness.model import Correction, Measurement, RecordError
from seawitness.model.entry import Entry, EntryError
from seawitness.model.records import parse_utc
from seawitness.store import schema as s
from seawitness.store.bulk import insert_rows
from seawitness.store.log import append_leaves, index_entries
from seawitness.store.store import Store, as_utc, measurement_row, series_key

ADMIN_KINDS = frozenset({"stakeholder", "key", "revocation"})


class SubmissionError(InputError):
    """Entry ``index`` of a batch was rejected; nothing of the batch was stored."""

    def __init__(self, index: int, reason: str, record_hint: str = "") -> None:
        self.index = index
        self.reason = reason
        hint = f" ({record_hint})" if record_hint else ""
        super().__init__(f"entry {index}{hint} rejected: {reason}")


@dataclass
class KeyInfo:
    key_id: str
    stakeholder: str
    public_key: bytes
    valid_from: datetime
    valid_until: datetime | None
    revoked_at: datetime | None
    is_admin: bool

    def valid_at(self, t: datetime) -> str | None:
        """None if the key may sign at ``t``, else the reason it may not."""
        if t < self.valid_from:
            return f"key {self.key_id} is not valid before {self.valid_from.isoformat()}"
        if self.valid_until is not None and t >= self.valid_until:
            return f"key {self.key_id} expired at {self.valid_until.isoformat()}"
        if self.revoked_at is not None and t >= self.revoked_at:
            return f"key {self.key_id} was revoked at {self.revoked_at.isoformat()}"
        return None


@dataclass
class Accepted:
    """What a batch added: leaf indexes per kind, and the new tree size."""

    first_leaf: int
    tree_size: int
    leaves: list[int]


def load_keys(conn: Connection) -> dict[str, KeyInfo]:
    """Registered keys, plus the administrator key that anchors the log.

    The administrator key is the trust anchor: it is fixed when the instance is created
    (``meta.admin_vkey``, published beside the log) and signs every stakeholder and key
    registration, its own included.
    """
    stmt = select(s.keys, s.stakeholders.c.kind).join(
        s.stakeholders, s.stakeholders.c.id == s.keys.c.stakeholder
    )
    out = {}
    for r in conn.execute(stmt).mappings():
        out[r["key_id"]] = KeyInfo(
            key_id=r["key_id"],
            stakeholder=r["stakeholder"],
            public_key=bytes(r["public_key"]),
            valid_from=as_utc(r["valid_from"]),  # type: ignore[arg-type]
            valid_until=as_utc(r["valid_until"]),
            revoked_at=as_utc(r["revoked_at"]),
            is_admin=r["kind"] == "admin",
        )
    anchor = conn.execute(
        select(s.meta.c.value).where(s.meta.c.key == "admin_vkey")
    ).scalar_one_or_none()
    if anchor:
        k = admin_anchor(anchor)
        out.setdefault(k.key_id, k)
    return out


def admin_anchor(vkey: str) -> KeyInfo:
    """KeyInfo for the administrator's verifier key (valid from the start of time)."""
    from seawitness.tlog.note import parse_vkey

    vk = parse_vkey(vkey)
    return KeyInfo(
        key_id=f"{vk.name}+{vk.key_id.hex()}",
        stakeholder=vk.name,
        public_key=vk.public_key,
        valid_from=datetime(1970, 1, 1, tzinfo=UTC),
        valid_until=None,
        revoked_at=None,
        is_admin=True,
    )


def _describe(entry: Entry) -> str:
    try:
        rec = entry.record
    except ValueError:
        return entry.kind
    if entry.kind == "measurement":
        return f"{rec.get('org')} {rec.get('station')} {rec.get('nuclide')} {rec.get('sampled_at')}"
    return f"{entry.kind} {rec.get('id') or rec.get('key_id') or rec.get('supersedes', '')}"


def submit(
    store: Store,
    conn: Connection,
    entries: Sequence[Entry],
    *,
    import_id: int | None = None,
    verify: bool = True,
    keys: dict[str, KeyInfo] | None = None,
    known_heads: Mapping[str, Any] | None = None,
    parsed: Sequence[Measurement | Correction] | None = None,
    parsed_keys: Sequence[str | None] | None = None,
) -> Accepted:
    """Check ``entries`` and append them to the log inside ``conn``'s transaction.

    ``verify=False`` skips only the signature check, for entries this process has just
    signed itself with a key it loaded (bulk import); every other rule still applies.
    ``known_heads`` (series key → current version) saves reloading the heads when the
    caller already holds them. ``parsed`` are the records the caller built the entries'
    record bytes from (bulk import), which saves parsing them back, and ``parsed_keys``
    their series keys.

    Signatures of a large batch are verified on worker threads while the other checks
    run (the Ed25519 verification in ``cryptography`` releases the GIL); the error raised
    is the one of the earliest failing entry either way.
    """
    batch = _Batch(
        store, conn, keys if keys is not None else load_keys(conn), entries, known_heads, parsed
    )
    batch.parsed_keys = parsed_keys
    sigs = _SignatureChecker(len(entries), enabled=verify)
    try:
        try:
            for i, e in enumerate(entries):
                batch.check(i, e, sigs)
        except SubmissionError as err:
            bad = sigs.first_failure(upto=err.index)
            if bad is not None:
                raise SubmissionError(
                    bad, "signature does not verify", _describe(entries[bad])
                ) from None
            raise
        bad = sigs.first_failure()
        if bad is not None:
            raise SubmissionError(bad, "signature does not verify", _describe(entries[bad]))
    finally:
        sigs.close()
    first = append_leaves(conn, batch.datas)
    record_ids = [e.record_id for e in entries]
    index_entries(conn, first, entries, record_ids)
    _index(store, conn, first, batch.index_rows, record_ids, batch.heads, import_id)
    return Accepted(
        first_leaf=first,
        tree_size=first + len(batch.datas),
        leaves=list(range(first, first + len(batch.datas))),
    )


class _SignatureChecker:
    """Ed25519 verification of a batch, inline for small batches, on threads for large."""

    THREADED_FROM = 256
    CHUNK = 512

    def __init__(self, n: int, *, enabled: bool) -> None:
        self.enabled = enabled
        self.failures: list[int] = []
        self._pending: list[tuple[int, Ed25519PublicKey, bytes, bytes]] = []
        self._futures: list[Future[list[int]]] = []
        self._pool = (
            ThreadPoolExecutor(max_workers=os.cpu_count() or 1)
            if enabled and n >= self.THREADED_FROM
            else None
        )
        self._keys: dict[bytes, Ed25519PublicKey] = {}

    def add(self, index: int, public_key: bytes, message: bytes, signature: bytes) -> None:
        if not self.enabled:
            return
        k = self._keys.get(public_key)
        if k is None:
            k = self._keys[public_key] = Ed25519PublicKey.from_public_bytes(public_key)
        if self._pool is None:
            if not _verify_one(k, message, signature):
                self.failures.append(index)
            return
        self._pending.append((index, k, message, signature))
        if len(self._pending) >= self.CHUNK:
            self._futures.append(self._pool.submit(_verify_chunk, self._pending))
            self._pending = []

    def first_failure(self, upto: int | None = None) -> int | None:
        """The smallest failing index (below ``upto`` if given), waiting for the workers."""
        if self._pending:
            self.failures += _verify_chunk(self._pending)
            self._pending = []
        for f in self._futures:
            self.failures += f.result()
        self._futures = []
        bad = [i for i in self.failures if upto is None or i < upto]
        return min(bad) if bad else None

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)


def _verify_one(key: Ed25519PublicKey, message: bytes, signature: bytes) -> bool:
    try:
        key.verify(signature, message)
        return True
    except InvalidSignature:
        return False


def _verify_chunk(items: list[tuple[int, Ed25519PublicKey, bytes, bytes]]) -> list[int]:
    return [i for i, k, m, sig in items if not _verify_one(k, m, sig)]


class _Batch:
    """The running state of one submission's checks (sequence numbers, keys, series)."""

    def __init__(
        self,
        store: Store,
        conn: Connection,
        keys: dict[str, KeyInfo],
        entries: Sequence[Entry],
        heads: Mapping[str, Any] | None,
        parsed: Sequence[Measurement | Correction] | None,
    ) -> None:
        self.store, self.conn, self.keys, self.parsed = store, conn, keys, parsed
        self.parsed_keys: Sequence[str | None] | None = None
        self.heads = heads
        self.next_seq = store.next_seqs(conn, sorted({e.submitter for e in entries}))
        self.start = store.tree_size(conn)
        self.seen_keys: dict[str, int] = {}
        self.datas: list[bytes] = []
        self.index_rows: list[tuple[Entry, Any, str | None]] = []
        self.last_key: str | None = None

    def check(self, i: int, e: Entry, sigs: _SignatureChecker) -> None:
        try:
            message, data = e.encode()
        except EntryError as exc:
            raise SubmissionError(i, str(exc), _describe(e)) from None
        k = self.keys.get(e.key_id)
        if k is None:
            raise SubmissionError(i, f"unknown key {e.key_id!r}", _describe(e))
        if k.stakeholder != e.submitter:
            raise SubmissionError(
                i, f"key {e.key_id} belongs to {k.stakeholder!r}, not {e.submitter!r}"
            )
        why = k.valid_at(e.submitted_at.astimezone(UTC))
        if why:
            raise SubmissionError(i, why, _describe(e))
        sigs.add(i, k.public_key, message, e.signature)
        expected = self.next_seq[e.submitter]
        if e.seq != expected:
            what = "replayed or reordered" if e.seq < expected else "out of order (gap)"
            raise SubmissionError(
                i, f"sequence number {e.seq} of {e.submitter} is {what}; expected {expected}"
            )
        self.next_seq[e.submitter] = expected + 1
        if e.kind in ADMIN_KINDS and not k.is_admin:
            raise SubmissionError(i, f"{e.kind} entries must be signed by an administrator")
        try:
            payload = self._payload(i, e)
        except (RecordError, KeyError, TypeError) as exc:
            raise SubmissionError(i, f"invalid {e.kind} record: {exc}", _describe(e)) from None
        self.datas.append(data)
        self.index_rows.append((e, payload, self.last_key))

    def _payload(self, i: int, e: Entry) -> Any:
        self.last_key = None
        if e.kind == "measurement":
            m = self.parsed[i] if self.parsed is not None else Measurement.from_dict(e.record)
            assert isinstance(m, Measurement)
            if self.heads is None:
                self.heads = self.store.heads(self.conn)
            known = self.parsed_keys[i] if self.parsed_keys is not None else None
            sk = self.last_key = known or series_key(m)
            if sk in self.heads or sk in self.seen_keys:
                prev = (
                    self.heads[sk].leaf_index
                    if sk in self.heads
                    else self.start + self.seen_keys[sk]
                )
                raise SubmissionError(
                    i,
                    f"the same result is already logged as leaf {prev}; "
                    "submit a correction that supersedes it",
                    _describe(e),
                )
            self.seen_keys[sk] = i
            return m
        if e.kind == "correction":
            return self.parsed[i] if self.parsed is not None else Correction.from_dict(e.record)
        payload = e.record
        if e.kind in ADMIN_KINDS:
            _check_admin_record(e.kind, payload)
            if e.kind == "key":  # later entries of the same batch may use it
                self.keys[payload["key_id"]] = _key_from_record(payload)
            elif e.kind == "revocation" and payload["key_id"] in self.keys:
                self.keys[payload["key_id"]].revoked_at = _t(payload["revoked_at"])
        return payload


def _t(v: str | None) -> datetime | None:
    return None if v is None else parse_utc(v)


def _check_admin_record(kind: str, rec: dict[str, Any]) -> None:
    need = {
        "stakeholder": ("id", "name", "kind"),
        "key": ("key_id", "stakeholder", "vkey", "valid_from"),
        "revocation": ("key_id", "revoked_at", "reason"),
    }[kind]
    for f in need:
        if f not in rec:
            raise KeyError(f"{kind} record needs field {f!r}")
    if kind == "key":
        from seawitness.tlog.note import NoteError, parse_vkey

        try:
            vk = parse_vkey(rec["vkey"])
        except NoteError as exc:
            raise KeyError(f"bad verifier key: {exc}") from None
        if rec["key_id"] != f"{vk.name}+{vk.key_id.hex()}":
            raise KeyError(f"key_id {rec['key_id']!r} does not match the verifier key")


def _key_from_record(rec: dict[str, Any]) -> KeyInfo:
    from seawitness.tlog.note import parse_vkey

    vk = parse_vkey(rec["vkey"])
    return KeyInfo(
        key_id=rec["key_id"],
        stakeholder=rec["stakeholder"],
        public_key=vk.public_key,
        valid_from=_t(rec["valid_from"]),  # type: ignore[arg-type]
        valid_until=_t(rec.get("valid_until")),
        revoked_at=None,
        is_admin=bool(rec.get("admin", False)),
    )


def _index(
    store: Store,
    conn: Connection,
    first: int,
    rows: list[tuple[Entry, Any, str | None]],
    record_ids: Sequence[str],
    heads: Mapping[str, Any] | None,
    import_id: int | None,
) -> None:
    """Write the query indexes for freshly appended leaves."""
    mrows: list[dict[str, Any]] = []
    head_new: list[dict[str, Any]] = []
    for off, ((e, payload, key), record_id) in enumerate(zip(rows, record_ids, strict=True)):
        leaf = first + off
        if e.kind == "measurement":
            m: Measurement = payload
            row = measurement_row(m)
            sk = key or series_key(m)
            row.update(
                leaf_index=leaf,
                record_id=record_id,
                series_key=sk,
                version=1,
                supersedes=None,
                reason=None,
                retracted=False,
                import_id=import_id,
            )
            mrows.append(row)
            head_new.append({"series_key": sk, "leaf_index": leaf, "version": 1})
        elif e.kind == "correction":
            _flush(conn, mrows, head_new)
            _apply_correction(store, conn, leaf, record_id, payload, import_id, e.submitter)
        elif e.kind == "stakeholder":
            conn.execute(s.stakeholders.delete().where(s.stakeholders.c.id == payload["id"]))
            conn.execute(
                insert(s.stakeholders).values(
                    id=payload["id"],
                    name=payload["name"],
                    country=payload.get("country"),
                    kind=payload["kind"],
                    leaf_index=leaf,
                )
            )
        elif e.kind == "key":
            from seawitness.tlog.note import parse_vkey

            conn.execute(
                insert(s.keys).values(
                    key_id=payload["key_id"],
                    stakeholder=payload["stakeholder"],
                    public_key=parse_vkey(payload["vkey"]).public_key,
                    vkey=payload["vkey"],
                    valid_from=_t(payload["valid_from"]),
                    valid_until=_t(payload.get("valid_until")),
                    revoked_at=None,
                    demo=bool(payload.get("demo", False)),
                    leaf_index=leaf,
                )
            )
        elif e.kind == "revocation":
            conn.execute(
                update(s.keys)
                .where(s.keys.c.key_id == payload["key_id"])
                .values(revoked_at=_t(payload["revoked_at"]))
            )
    _flush(conn, mrows, head_new)


def _flush(conn: Connection, mrows: list[dict[str, Any]], head_new: list[dict[str, Any]]) -> None:
    if mrows:
        insert_rows(conn, s.measurements, mrows)
        insert_rows(conn, s.heads, head_new)
        mrows.clear()
        head_new.clear()


def _apply_correction(
    store: Store,
    conn: Connection,
    leaf: int,
    record_id: str,
    c: Correction,
    import_id: int | None,
    submitter: str,
) -> None:
    """Index a correction; only the record's own submitter (or an administrator) may
    correct or retract it, so no stakeholder can rewrite another's results."""
    m = s.measurements
    old = conn.execute(select(m).where(m.c.leaf_index == c.supersedes)).mappings().first()
    if old is None:
        raise SubmissionError(
            leaf, f"correction supersedes leaf {c.supersedes}, which is not a logged measurement"
        )
    owner = conn.execute(
        select(s.entries.c.submitter).where(s.entries.c.leaf_index == c.supersedes)
    ).scalar_one()
    if owner != submitter:
        kind = conn.execute(
            select(s.stakeholders.c.kind).where(s.stakeholders.c.id == submitter)
        ).scalar_one_or_none()
        if kind != "admin":
            raise SubmissionError(
                leaf,
                f"leaf {c.supersedes} was submitted by {owner!r}; only they or an "
                f"administrator may correct it, not {submitter!r}",
            )
    head = (
        conn.execute(select(s.heads).where(s.heads.c.series_key == old["series_key"]))
        .mappings()
        .one()
    )
    if head["leaf_index"] != c.supersedes:
        raise SubmissionError(
            leaf,
            f"leaf {c.supersedes} was already superseded by leaf "
            f"{head['leaf_index']}; correct the current version",
        )
    if c.replacement is not None:
        row = measurement_row(c.replacement)
        retracted = False
        # The index holds the id of the measurement a version makes current (what a
        # later download is compared with), not the id of the correction around it.
        record_id = c.replacement.id
    else:
        row = {
            k: v
            for k, v in old.items()
            if k
            not in (
                "leaf_index",
                "record_id",
                "series_key",
                "version",
                "supersedes",
                "reason",
                "retracted",
                "import_id",
            )
        }
        retracted = True
    version = head["version"] + 1
    row.update(
        leaf_index=leaf,
        record_id=record_id,
        series_key=old["series_key"],
        version=version,
        supersedes=c.supersedes,
        reason=c.reason,
        retracted=retracted,
        import_id=import_id,
    )
    conn.execute(insert(m).values(**row))
    conn.execute(
        update(s.heads)
        .where(s.heads.c.series_key == old["series_key"])
        .values(leaf_index=leaf, version=version)
    )


def entry_summary(data: bytes) -> dict[str, Any]:
    """A short description of leaf data for error messages and audits."""
    obj = json.loads(data)
    return {k: obj.get(k) for k in ("kind", "submitter", "key_id", "seq")}
