"""The log as it was at a signed checkpoint: the records a report is built from.

The log is append-only, so the records at tree size ``N`` are the entries with leaf index
``< N``. A series (one result and its later versions) is *current at N* in the version
with the largest leaf index below ``N``: a version added after the checkpoint does not
count, and one it superseded still does. Stations count if they have a result at ``N``,
stakeholders if their registering entry is below ``N``. Everything here is read from the
index rows the store writes in the same transaction as the leaves (a row exists iff its
leaf does), so a later submission cannot change what a report at ``N`` says.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, select

from seawitness.errors import NotFoundError
from seawitness.model import Measurement
from seawitness.report.regions import Region
from seawitness.store import schema as s
from seawitness.store.records import with_records
from seawitness.store.store import Store, as_utc

__all__ = ["CheckpointNotFound", "Snapshot", "checkpoint_sizes", "take_snapshot"]


class CheckpointNotFound(NotFoundError):
    """The store holds no signed checkpoint of the asked tree size."""


@dataclass(frozen=True)
class Snapshot:
    """A region's current results at a checkpoint, and what the log said then.

    :ivar rows: index rows (dicts, as :meth:`Store.measurements` gives them) of the results
        current at ``size``, sorted by (sampled_at, leaf_index).
    :ivar stations: station rows of the region that have results at ``size``.
    :ivar stakeholders: stakeholder id → ``{"name", "country", "kind"}`` registered by then.
    :ivar cosignatures: ``{"witness", "signature_line"}`` for this checkpoint, by witness.
    """

    size: int
    root_hash: str
    note: str
    cosignatures: tuple[dict[str, str], ...]
    stations: tuple[dict[str, Any], ...]
    stakeholders: dict[str, dict[str, Any]]
    rows: tuple[dict[str, Any], ...]

    def records(self, store: Store, rows: Iterable[dict[str, Any]]) -> list[Measurement]:
        """The full logged records of ``rows``, in the same order.

        The whole record, not only the index columns: which results are one sample (for
        sums) depends on fields the index does not hold, such as ``replicate``.
        """
        out = []
        for row, rec in with_records(store, rows):
            if rec is None:  # pragma: no cover - an index row always has its record
                raise NotFoundError(f"leaf {row['leaf_index']} holds no measurement")
            out.append(Measurement.from_dict(rec))
        return out


def checkpoint_sizes(store: Store) -> list[int]:
    """Tree sizes of the signed checkpoints the store holds, smallest first."""
    with store.engine.connect() as c:
        return [int(x) for x in c.execute(select(s.checkpoints.c.size).order_by("size")).scalars()]


def _checkpoint(store: Store, size: int | None) -> tuple[int, bytes, str]:
    stmt = select(s.checkpoints.c.size, s.checkpoints.c.root_hash, s.checkpoints.c.note)
    if size is None:
        stmt = stmt.order_by(s.checkpoints.c.size.desc()).limit(1)
    else:
        stmt = stmt.where(s.checkpoints.c.size == size)
    with store.engine.connect() as c:
        row = c.execute(stmt).first()
    if row is None:
        have = checkpoint_sizes(store)
        listed = ", ".join(str(x) for x in have[-8:]) or "none"
        what = "any signed checkpoint" if size is None else f"a checkpoint of tree size {size}"
        raise CheckpointNotFound(
            f"checkpoint: the store does not hold {what}; signed checkpoints: {listed}"
        )
    return int(row[0]), bytes(row[1]), str(row[2])


def _current_rows(
    store: Store, size: int, codes: list[str], since: datetime | None, until: datetime | None
) -> list[dict[str, Any]]:
    m = s.measurements
    latest = (
        select(func.max(m.c.leaf_index).label("leaf"))
        .where(m.c.leaf_index < size)
        .group_by(m.c.series_key)
        .subquery()
    )
    conds: list[Any] = [m.c.retracted.is_(False)]
    if since is not None:
        conds.append(m.c.sampled_at >= since)
    if until is not None:
        conds.append(m.c.sampled_at < until)
    out: list[dict[str, Any]] = []
    with store.engine.connect() as c:
        for i in range(0, len(codes), 500):
            stmt = (
                select(m)
                .join(latest, latest.c.leaf == m.c.leaf_index)
                .where(and_(*conds, m.c.station.in_(codes[i : i + 500])))
            )
            for r in c.execute(stmt).mappings():
                d = dict(r)
                d["sampled_at"] = as_utc(d["sampled_at"])
                d["retracted"] = bool(d["retracted"])
                out.append(d)
    out.sort(key=lambda r: (r["sampled_at"], r["leaf_index"]))
    return out


def take_snapshot(
    store: Store,
    region: Region,
    *,
    size: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Snapshot:
    """The region's results current at checkpoint ``size`` (default: the newest signed
    one), sampled in ``[since, until)`` (None: no bound).

    :raises CheckpointNotFound: the store has no signed checkpoint of that size.
    """
    n, root, note = _checkpoint(store, size)
    with store.engine.connect() as c:
        stations = [dict(r) for r in c.execute(select(s.stations)).mappings()]
        holders = {
            r["id"]: {"name": r["name"], "country": r["country"], "kind": r["kind"]}
            for r in c.execute(
                select(s.stakeholders).where(s.stakeholders.c.leaf_index < n)
            ).mappings()
        }
        cosigs = tuple(
            {"witness": r["witness"], "signature_line": r["signature_line"]}
            for r in c.execute(
                select(s.cosignatures)
                .where(s.cosignatures.c.size == n)
                .order_by(s.cosignatures.c.witness)
            ).mappings()
        )
    inside = {(st["org"], st["code"]): st for st in stations if region.contains(st)}
    rows = _current_rows(store, n, sorted({code for _, code in inside}), since, until)
    rows = [r for r in rows if (r["org"], r["station"]) in inside]
    used = sorted({(r["org"], r["station"]) for r in rows})
    return Snapshot(
        size=n,
        root_hash=root.hex(),
        note=note,
        cosignatures=cosigs,
        stations=tuple(inside[k] for k in used),
        stakeholders=holders,
        rows=tuple(rows),
    )
