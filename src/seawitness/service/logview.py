"""The log as a visitor checks it: its growth, its checkpoints and who cosigned them, and
one record in plain words (what, where, when, who, which key).

The checkpoints and cosignatures are the stored signed notes (c2sp.org/tlog-checkpoint,
c2sp.org/tlog-cosignature); nothing here verifies them, the page's script and
``seawitness audit`` do. This module only says what was signed and when it was stored.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select

from seawitness.service.params import NotFound
from seawitness.service.readmodel import Service, iso
from seawitness.store import schema as s
from seawitness.store.store import as_utc

__all__ = ["log_history", "record_summary"]


def log_history(svc: Service, latest: int = 20) -> dict[str, Any]:
    """Every stored checkpoint's size and time (for a growth chart) and the newest
    ``latest`` with the witnesses that cosigned each and when."""

    def compute() -> dict[str, Any]:
        with svc.store.engine.connect() as c:
            cps = c.execute(
                select(
                    s.checkpoints.c.size, s.checkpoints.c.root_hash, s.checkpoints.c.created_at
                ).order_by(s.checkpoints.c.size)
            ).all()
            cos = c.execute(
                select(
                    s.cosignatures.c.size,
                    s.cosignatures.c.witness,
                    s.cosignatures.c.created_at,
                )
            ).all()
        by_size: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for size, witness, at in cos:
            by_size[int(size)].append({"witness": witness, "at": iso(as_utc(at))})
        growth = [{"size": int(z), "at": iso(as_utc(at))} for z, _, at in cps]
        newest = [
            {
                "size": int(z),
                "root_hash": bytes(root).hex(),
                "at": iso(as_utc(at)),
                "cosigned_by": sorted(by_size.get(int(z), []), key=lambda d: d["witness"]),
            }
            for z, root, at in reversed(cps[-latest:])
        ]
        witnesses = sorted({w for ws in by_size.values() for w in (d["witness"] for d in ws)})
        return {
            "origin": svc.origin,
            "tree_size": svc.tree_size(),
            "growth": growth,
            "checkpoints": newest,
            "n_checkpoints": len(cps),
            "witnesses": witnesses,
        }

    return svc.cached(("log_history", latest), compute)


def record_summary(svc: Service, leaf_index: int) -> dict[str, Any]:
    """A logged record in plain terms: the measurement, its station, the submitter and
    the signing key (with whether it is a labelled demo key)."""
    entry = svc.entry(leaf_index)
    rec = entry["record"]
    with svc.store.engine.connect() as c:
        key = c.execute(select(s.keys).where(s.keys.c.key_id == entry["key_id"])).mappings().first()
        who = (
            c.execute(select(s.stakeholders).where(s.stakeholders.c.id == entry["submitter"]))
            .mappings()
            .first()
        )
    station = None
    if rec is not None:
        try:
            station = svc.station(rec["org"], rec["station"])
        except NotFound:
            station = None
    return {
        "leaf_index": leaf_index,
        "kind": entry["kind"],
        "record": rec,
        "station": station,
        "submitter": entry["submitter"],
        "submitter_name": who["name"] if who else None,
        "key_id": entry["key_id"],
        "key_demo": bool(key["demo"]) if key else None,
        "key_valid_from": iso(as_utc(key["valid_from"])) if key else None,
        "key_revoked_at": iso(as_utc(key["revoked_at"])) if key and key["revoked_at"] else None,
        "key_vkey": key["vkey"] if key else None,
    }
