"""The one gate into the log: check a batch of signed entries, then append it.

Every entry, whether it comes from ``seawitness submit``, the HTTP API or a bulk import,
passes the same checks before anything is written:

1. the entry is at most 64 KiB and well formed;
2. the log stamps it with its own clock (``logged_at``, never earlier than the leaf
   before), and the signer's ``submitted_at`` must be within
   :data:`~seawitness.trust.registry.MAX_CLOCK_SKEW` of it;
3. the registry's rules (:mod:`seawitness.trust.registry`, the same code the offline
   audit runs), judged at ``logged_at``: the key is registered, belongs to the submitter
   and is valid; the kind is one the signer may sign; the record's organisation (and lab)
   is one the signer may publish for; the sequence number is exactly the submitter's next;
4. the Ed25519 signature verifies over the signed message;
5. the record is valid for its kind (a measurement passes the model's rules and is not
   already logged, a correction supersedes the current version of a record its signer
   may correct, registry records are well formed and consistent).

The batch is all-or-nothing: the earliest failing entry raises :class:`SubmissionError`
naming its position in the batch and the reason, and the surrounding transaction rolls
back, so a rejected submission changes nothing. Everything the checks read is an indexed
look-up (the registry tables are small; heads and corrected records are read by key), so
a submission costs what it submits, not what the log holds.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from seawitness.errors import InputError
from seawitness.ingest.signatures import SignatureChecker
from seawitness.model import Correction, Measurement, RecordError, Station
from seawitness.model.entry import Entry, EntryError
from seawitness.model.records import parse_utc
from seawitness.model.times import now_utc
from seawitness.store import schema as s
from seawitness.store.bulk import insert_rows
from seawitness.store.log import append_leaves, index_entries, leaves_at
from seawitness.store.store import Store, as_utc, measurement_row, series_key
from seawitness.trust.registry import (
    KeyInfo,
    Registry,
    TrustError,
    check_clock,
    check_correction,
    check_seq,
    key_id_of,
)

__all__ = ["Accepted", "SubmissionError", "entry_summary", "load_registry", "submit"]


class SubmissionError(InputError):
    """Entry ``index`` of a batch (0-based) was rejected; nothing of the batch was stored."""

    code = "rejected"

    def __init__(self, index: int, reason: str, record_hint: str = "") -> None:
        self.index = index
        self.reason = reason
        hint = f"{record_hint}: " if record_hint else ""
        super().__init__(
            f"entry {index}: {hint}{reason}",
            where=f"entry {index}",
            context={"index": index},
        )


@dataclass
class Accepted:
    """What a batch added: its leaf indexes and the new tree size."""

    first_leaf: int
    tree_size: int
    leaves: list[int]


def load_registry(conn: Connection) -> Registry:
    """The registry in force, from the index rows the registry's own entries wrote.

    The administrator key is the trust anchor: it is fixed when the instance is created
    (``meta.admin_vkey``, published beside the log) and signs every registration.
    """
    anchor = conn.execute(
        select(s.meta.c.value).where(s.meta.c.key == "admin_vkey")
    ).scalar_one_or_none()
    reg = Registry.anchored(anchor) if anchor else Registry(anchor="")
    reg.kinds.update({r.id: r.kind for r in conn.execute(select(s.stakeholders))})
    reg.grants.update((r.stakeholder, r.grant, r.object) for r in conn.execute(select(s.grants)))
    for r in conn.execute(select(s.keys)).mappings():
        if r["key_id"] == reg.anchor:
            continue
        reg.keys[r["key_id"]] = KeyInfo(
            key_id=r["key_id"],
            stakeholder=r["stakeholder"],
            public_key=bytes(r["public_key"]),
            valid_from=as_utc(r["valid_from"]),  # type: ignore[arg-type]
            valid_until=as_utc(r["valid_until"]),
            revoked_at=as_utc(r["revoked_at"]),
            demo=bool(r["demo"]),
        )
    return reg


def _describe(entry: Entry) -> str:
    try:
        rec = entry.record
    except ValueError:
        return entry.kind
    if not isinstance(rec, dict):
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
    known_heads: Mapping[str, Any] | None = None,
    parsed: Sequence[Measurement | Correction] | None = None,
    parsed_keys: Sequence[str | None] | None = None,
) -> Accepted:
    """Check ``entries`` and append them to the log inside ``conn``'s transaction.

    ``verify=False`` skips only the signature check, for entries this process has just
    signed itself with a key it loaded (bulk import); every other rule still applies.
    ``known_heads`` (series key → current version) saves looking the heads up when the
    caller already holds them. ``parsed`` are the records the caller built the entries'
    record bytes from (bulk import), which saves parsing them back, and ``parsed_keys``
    their series keys.

    Signatures of a large batch are verified on worker threads while the other checks
    run (the Ed25519 verification in ``cryptography`` releases the GIL); the error raised
    is the one of the earliest failing entry either way.
    """
    batch = _Batch(store, conn, load_registry(conn), entries, parsed, parsed_keys)
    entries = batch.entries
    sigs = SignatureChecker(len(entries), enabled=verify)
    failures: list[tuple[int, int, SubmissionError]] = []
    try:
        try:
            for i, e in enumerate(entries):
                batch.check(i, e, sigs)
        except SubmissionError as err:
            failures.append((err.index, 0, err))
        upto = failures[0][0] if failures else None
        dup = batch.first_duplicate(known_heads, upto)
        if dup is not None:
            failures.append((dup.index, 0, dup))
        bad = sigs.first_failure(upto=upto)
        if bad is not None:
            why = "signature does not verify"
            failures.append((bad, 1, SubmissionError(bad, why, _describe(entries[bad]))))
    finally:
        sigs.close()
    if failures:
        raise min(failures, key=lambda f: f[:2])[2]
    first = append_leaves(conn, batch.datas)
    record_ids = [e.record_id for e in entries]
    index_entries(conn, first, entries, record_ids)
    _index(store, conn, first, batch.index_rows, record_ids, import_id)
    return Accepted(first, first + len(batch.datas), list(range(first, first + len(batch.datas))))


class _Batch:
    """The running state of one submission's checks (sequence numbers, registry, series)."""

    def __init__(
        self,
        store: Store,
        conn: Connection,
        registry: Registry,
        entries: Sequence[Entry],
        parsed: Sequence[Measurement | Correction] | None,
        parsed_keys: Sequence[str | None] | None,
    ) -> None:
        self.store, self.conn, self.registry = store, conn, registry
        self.parsed, self.parsed_keys = parsed, parsed_keys
        self.next_seq = store.next_seqs(conn, sorted({e.submitter for e in entries}))
        self.start = store.tree_size(conn)
        self.previous = last_logged_at(conn, self.start)
        at = now_utc()
        self.logged_at = max(at, self.previous) if self.previous else at
        self.entries = [e.logged(self.logged_at) for e in entries]
        self.series: dict[str, int] = {}
        """Series key → position in the batch of the measurement that starts it."""
        self.versions: dict[int, tuple[str, str]] = {}
        """Leaf (of this batch) holding a measurement version → (series key, owner)."""
        self.superseded: dict[int, int] = {}
        """Leaf → the leaf of this batch that supersedes it."""
        self.datas: list[bytes] = []
        self.index_rows: list[tuple[Entry, Any, str | None]] = []

    def check(self, i: int, e: Entry, sigs: SignatureChecker) -> None:
        e = self.entries[i]
        try:
            message, data = e.encode()
            check_clock(e.submitted_at, self.logged_at, self.previous)
            key = self.registry.authorize(e.kind, e.submitter, e.key_id, self.logged_at)
            sigs.add(i, key.public_key, message, e.signature)
            check_seq(e.submitter, e.seq, self.next_seq.get(e.submitter, 0))
            self.next_seq[e.submitter] = e.seq + 1
            payload, sk = self._payload(i, e, key)
        except (EntryError, TrustError) as exc:
            raise SubmissionError(i, str(exc), _describe(e)) from None
        except RecordError as exc:
            raise SubmissionError(i, f"invalid {e.kind} record: {exc}", _describe(e)) from None
        self.datas.append(data)
        self.index_rows.append((e, payload, sk))

    def _payload(self, i: int, e: Entry, key: KeyInfo) -> tuple[Any, str | None]:
        leaf = self.start + i
        if e.kind == "measurement":
            m = self.parsed[i] if self.parsed is not None else Measurement.from_dict(e.record)
            assert isinstance(m, Measurement)
            self.registry.authorize_record("measurement", e.submitter, m.to_dict())
            known = self.parsed_keys[i] if self.parsed_keys is not None else None
            sk = known or series_key(m)
            if sk in self.series:
                raise TrustError(
                    f"the same result is already entry {self.series[sk]} of this batch; "
                    "submit a correction that supersedes it"
                )
            self.series[sk] = i
            self.versions[leaf] = (sk, e.submitter)
            return m, sk
        if e.kind == "correction":
            c = self.parsed[i] if self.parsed is not None else Correction.from_dict(e.record)
            assert isinstance(c, Correction)
            target_key, owner, later = self._target(c.supersedes)
            check_correction(
                c.supersedes,
                owner=owner,
                superseded_by=later,
                submitter=e.submitter,
                admin=self.registry.is_admin(key),
            )
            if c.replacement is not None and not self.registry.is_admin(key):
                self.registry.authorize_record("measurement", e.submitter, c.replacement.to_dict())
            assert target_key is not None and owner is not None
            self.superseded[c.supersedes] = leaf
            self.versions[leaf] = (target_key, owner)
            return c, target_key
        record = e.record
        if not isinstance(record, dict):
            raise RecordError("record", "must be a JSON object")
        self.registry.authorize_record(e.kind, e.submitter, record)
        self.registry.apply(e.kind, record, self.logged_at)
        return record, None

    def _target(self, leaf: int) -> tuple[str | None, str | None, int | None]:
        """(series key, owner, leaf that already supersedes it) of a correction's target."""
        if leaf in self.versions:
            sk, owner = self.versions[leaf]
            return sk, owner, self.superseded.get(leaf)
        m = s.measurements
        row = self.conn.execute(
            select(m.c.series_key).where(m.c.leaf_index == leaf)
        ).scalar_one_or_none()
        if row is None:
            return None, None, None
        first = (
            select(m.c.leaf_index).where(m.c.series_key == row, m.c.version == 1).scalar_subquery()
        )
        owner = self.conn.execute(
            select(s.entries.c.submitter).where(s.entries.c.leaf_index == first)
        ).scalar_one()
        head = self.conn.execute(
            select(s.heads.c.leaf_index).where(s.heads.c.series_key == row)
        ).scalar_one()
        later = self.superseded.get(leaf, head if head != leaf else None)
        return row, owner, later

    def first_duplicate(
        self, known: Mapping[str, Any] | None, upto: int | None
    ) -> SubmissionError | None:
        """The earliest new measurement (before ``upto``) whose result is already logged,
        from one indexed look-up of the batch's series (or the caller's ``known`` heads)."""
        keys = [sk for sk, i in self.series.items() if upto is None or i < upto]
        heads = known if known is not None else self.store.heads(self.conn, keys)
        hits = sorted((self.series[sk], sk) for sk in keys if sk in heads)
        if not hits:
            return None
        i, sk = hits[0]
        return SubmissionError(
            i,
            f"the same result is already logged as leaf {heads[sk].leaf_index}; "
            "submit a correction that supersedes it",
            _describe(self.entries[i]),
        )


def _index(
    store: Store,
    conn: Connection,
    first: int,
    rows: list[tuple[Entry, Any, str | None]],
    record_ids: Sequence[str],
    import_id: int | None,
) -> None:
    """Write the query indexes for freshly appended (and already checked) leaves."""
    mrows: list[dict[str, Any]] = []
    head_new: list[dict[str, Any]] = []
    _add_stations(store, conn, rows)
    for off, ((e, payload, key), record_id) in enumerate(zip(rows, record_ids, strict=True)):
        leaf = first + off
        if e.kind == "measurement":
            row = measurement_row(payload)
            row.update(
                leaf_index=leaf,
                record_id=record_id,
                series_key=key,
                version=1,
                supersedes=None,
                reason=None,
                retracted=False,
                import_id=import_id,
                submitter=e.submitter,
            )
            mrows.append(row)
            head_new.append({"series_key": key, "leaf_index": leaf, "version": 1})
        elif e.kind == "correction":
            _flush(conn, mrows, head_new)
            _index_correction(conn, leaf, record_id, payload, import_id, e.submitter)
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
            _, public = key_id_of(payload["vkey"])
            conn.execute(
                insert(s.keys).values(
                    key_id=payload["key_id"],
                    stakeholder=payload["stakeholder"],
                    public_key=public,
                    vkey=payload["vkey"],
                    valid_from=_t(payload["valid_from"]),
                    valid_until=_t(payload.get("valid_until")),
                    revoked_at=None,
                    demo=payload.get("demo") is True,
                    leaf_index=leaf,
                )
            )
        elif e.kind == "grant":
            conn.execute(
                insert(s.grants).values(
                    stakeholder=payload["stakeholder"],
                    grant=payload["grant"],
                    object=payload.get("org") or payload.get("ruleset") or "",
                    leaf_index=leaf,
                )
            )
        elif e.kind == "revocation":
            assert e.logged_at is not None
            revoked = store_revocation_time(payload, e.logged_at)
            conn.execute(
                update(s.keys)
                .where(s.keys.c.key_id == payload["key_id"], s.keys.c.revoked_at.is_(None))
                .values(revoked_at=revoked)
            )
    _flush(conn, mrows, head_new)


def last_logged_at(conn: Connection, size: int) -> datetime | None:
    """``logged_at`` of the newest leaf (None for an empty log or a leaf without one)."""
    if size == 0:
        return None
    data = leaves_at(conn, [size - 1])[size - 1]
    try:
        return Entry.from_bytes(data).logged_at
    except InputError:
        return None


def store_revocation_time(record: Mapping[str, Any], logged_at: datetime) -> datetime:
    """A revocation takes effect at its ``revoked_at``, and no later than it was logged."""
    return min(parse_utc(record["revoked_at"], "revoked_at"), logged_at)


def _t(v: str | None) -> datetime | None:
    return None if v is None else parse_utc(v)


def _add_stations(
    store: Store, conn: Connection, rows: list[tuple[Entry, Any, str | None]]
) -> None:
    """A station row for every (org, station) the accepted results name and the store
    does not know yet, in the same transaction as the results.

    Without it a result submitted for a new station code lists under its station while
    ``/stations/ORG/CODE`` says 404. The coordinates are the first record's that has
    them (else unknown); a known station keeps its stored description. Only the batch's
    own station keys are looked up (:meth:`Store.upsert_stations`).
    """
    found: dict[tuple[str, str], Station] = {}
    for e, payload, _ in rows:
        m: Measurement | None = None
        if e.kind == "measurement":
            m = payload
        elif e.kind == "correction":
            m = payload.replacement
        if m is None:
            continue
        k = (m.org, m.station)
        known = found.get(k)
        if known is None or (not known.coords_known and m.lat is not None and m.lon is not None):
            found[k] = Station(m.station, m.org, None, m.lat, m.lon, None, "submission")
    if found:
        store.upsert_stations(conn, found.values())


def _flush(conn: Connection, mrows: list[dict[str, Any]], head_new: list[dict[str, Any]]) -> None:
    if mrows:
        insert_rows(conn, s.measurements, mrows)
        insert_rows(conn, s.heads, head_new)
        mrows.clear()
        head_new.clear()


_INDEX_ONLY = (
    "submitter",
    "leaf_index",
    "record_id",
    "series_key",
    "version",
    "supersedes",
    "reason",
    "retracted",
    "import_id",
)


def _index_correction(
    conn: Connection,
    leaf: int,
    record_id: str,
    c: Correction,
    import_id: int | None,
    submitter: str,
) -> None:
    """Index a checked correction: a new version of its series, made current."""
    m = s.measurements
    old = conn.execute(select(m).where(m.c.leaf_index == c.supersedes)).mappings().one()
    head = (
        conn.execute(select(s.heads).where(s.heads.c.series_key == old["series_key"]))
        .mappings()
        .one()
    )
    if c.replacement is not None:
        row = measurement_row(c.replacement)
        retracted = False
        # The index holds the id of the measurement a version makes current (what a
        # later download is compared with), not the id of the correction around it.
        record_id = c.replacement.id
    else:
        row = {k: v for k, v in old.items() if k not in _INDEX_ONLY}
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
        submitter=submitter,
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
