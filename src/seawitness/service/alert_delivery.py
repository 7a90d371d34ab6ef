"""Alert delivery: the alerts found in the logged results reach their subscribers.

Three steps, each its own transaction, so a crash or restart between any two loses
nothing and repeats nothing that succeeded:

1. :func:`scan` evaluates the current results logged since the last scan with
   :func:`seawitness.analysis.alerts.level_alerts` (by default TEPCO's investigation and
   suspension levels), stores each new alert once (keyed by kind, rule and leaf) and puts
   one delivery per active subscriber into the outbox (``deliveries``);
2. :func:`deliver_due` POSTs every due delivery to its subscriber's URL. The body is the
   alert as JSON; ``X-Seawitness-Signature: sha256=<hex>`` is the HMAC-SHA256 of the body
   with the secret shared with that subscriber (RFC 2104; the scheme GitHub's webhooks
   use), so a receiver can check who sent it and that it was not changed. A 2xx answer
   marks the delivery done; anything else (refused connection, timeout, 5xx) records the
   attempt and schedules the next one with exponential backoff, ``base * 2**(n-1)``
   seconds capped at :data:`MAX_BACKOFF`. Deliveries are never dropped: an unreachable
   subscriber keeps its alerts until it answers. Delivery is *at least once*: a receiver
   that answered but whose answer was lost sees the alert again, with the same
   ``X-Seawitness-Delivery`` id to recognise it;
3. :func:`atom_feed` gives the same alerts as an Atom feed (RFC 4287).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import warnings
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import httpx
from sqlalchemy import and_, func, insert, select, update

from seawitness import __version__
from seawitness.analysis.alerts import level_alerts
from seawitness.analysis.limits import LowConfidenceWarning, RuleSet, load_rules
from seawitness.errors import InputError
from seawitness.model import Measurement
from seawitness.model.times import format_utc, now_utc
from seawitness.store import schema as s
from seawitness.store.records import with_records
from seawitness.store.store import Store, as_utc

__all__ = [
    "MAX_BACKOFF",
    "SIGNATURE_HEADER",
    "SubscriberError",
    "alerts",
    "atom_feed",
    "deliver_due",
    "deliveries",
    "scan",
    "sign_body",
    "subscribe",
    "subscribers",
]

SIGNATURE_HEADER = "X-Seawitness-Signature"
MAX_BACKOFF = 3600.0  # seconds
_SCANNED = "alerts_scanned_size"


class SubscriberError(InputError):
    """A subscription that cannot be made (a URL that is not http(s), an empty secret)."""


def sign_body(secret: str, body: bytes) -> str:
    """``sha256=<hex>``: HMAC-SHA256 of the body with the subscriber's secret (RFC 2104)."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def subscribe(
    store: Store, url: str, *, secret: str | None = None, name: str | None = None
) -> dict[str, Any]:
    """Register a webhook subscriber; a secret is made if none is given.

    New subscribers receive the alerts found from then on.
    :raises SubscriberError: not an http(s) URL, or an empty secret.
    """
    if not url.startswith(("http://", "https://")):
        raise SubscriberError(f"url: {url!r} is not an http:// or https:// URL")
    secret = secrets.token_hex(32) if secret is None else secret
    if not secret:
        raise SubscriberError("secret: must not be empty")
    with store.transaction() as conn:
        sid = conn.execute(
            insert(s.subscribers).values(
                url=url, secret=secret, name=name, active=True, created_at=now_utc()
            )
        ).inserted_primary_key[0]  # type: ignore[index]
    return {"id": int(sid), "url": url, "name": name, "secret": secret}


def subscribers(store: Store) -> list[dict[str, Any]]:
    """Every subscriber with its count of pending and delivered alerts (no secrets)."""
    d = s.deliveries
    with store.engine.connect() as c:
        subs = [dict(r) for r in c.execute(select(s.subscribers).order_by("id")).mappings()]
        counts = c.execute(
            select(d.c.subscriber_id, d.c.status, func.count()).group_by(
                d.c.subscriber_id, d.c.status
            )
        ).all()
    by = {(int(a), b): int(n) for a, b, n in counts}
    return [
        {
            "id": x["id"],
            "url": x["url"],
            "name": x["name"],
            "active": bool(x["active"]),
            "pending": by.get((x["id"], "pending"), 0),
            "delivered": by.get((x["id"], "delivered"), 0),
        }
        for x in subs
    ]


def _payload(a: Any, leaf: int, tree_size: int) -> dict[str, Any]:
    return {
        "schema": "seawitness/alert/v1",
        "kind": a.kind,
        "leaf_index": leaf,
        "rule_id": a.rule_id,
        "station": a.station,
        "nuclide": a.nuclide,
        "value": a.value,
        "level": a.level,
        "unit": a.unit,
        "sampled_at": format_utc(a.time),
        "reason": a.reason,
        "source": a.source,
        "tree_size": tree_size,
    }


def scan(store: Store, rules: str | Path | RuleSet = "jp-tepco-sea") -> int:
    """Find the level alerts among the current results logged since the last scan, store
    them and queue a delivery per active subscriber; returns how many alerts are new.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LowConfidenceWarning)
        rule_set = rules if isinstance(rules, RuleSet) else load_rules(rules)
    media = sorted({m.value for r in rule_set.rules if r.evaluated for m in r.media})
    nuclides = sorted({n for r in rule_set.rules if r.evaluated for n in r.all_nuclides})
    size = store.tree_size()
    start = int(store.get_meta(_SCANNED) or 0)
    m = s.measurements
    stmt = (
        select(m)
        .join(s.heads, s.heads.c.leaf_index == m.c.leaf_index)
        .where(
            and_(
                m.c.leaf_index >= start,
                m.c.leaf_index < size,
                m.c.retracted.is_(False),
                m.c.medium.in_(media),
                m.c.nuclide.in_(nuclides),
            )
        )
        .order_by(m.c.leaf_index)
    )
    with store.engine.connect() as c:
        rows = [dict(r) for r in c.execute(stmt).mappings()]
        zones = {r.code: r.zone for r in c.execute(select(s.stations.c.code, s.stations.c.zone))}
    found: list[tuple[str, dict[str, Any]]] = []
    for row, rec in with_records(store, rows):
        if rec is None:
            continue
        for a in level_alerts([Measurement.from_dict(rec)], rule_set, zones=zones):
            p = _payload(a, int(row["leaf_index"]), size)
            key = hashlib.sha256(
                f"{a.kind}\x1f{a.rule_id}\x1f{row['leaf_index']}".encode()
            ).hexdigest()
            found.append((key, p))
    new = 0
    with store.transaction() as conn:
        subs = [
            int(x)
            for x in conn.execute(
                select(s.subscribers.c.id).where(s.subscribers.c.active.is_(True))
            ).scalars()
        ]
        known = set(conn.execute(select(s.alerts.c.key)).scalars())
        now = now_utc()
        for key, p in found:
            if key in known:
                continue
            known.add(key)
            aid = conn.execute(
                insert(s.alerts).values(
                    key=key,
                    kind=p["kind"],
                    leaf_index=p["leaf_index"],
                    rule_id=p["rule_id"],
                    station=p["station"],
                    nuclide=p["nuclide"],
                    value=p["value"],
                    level=p["level"],
                    unit=p["unit"],
                    sampled_at=datetime.fromisoformat(p["sampled_at"].replace("Z", "+00:00")),
                    reason=p["reason"],
                    tree_size=size,
                    payload=json.dumps(p, sort_keys=True, ensure_ascii=False),
                )
            ).inserted_primary_key[0]  # type: ignore[index]
            for sid in subs:
                conn.execute(
                    insert(s.deliveries).values(
                        alert_id=aid,
                        subscriber_id=sid,
                        status="pending",
                        attempts=0,
                        next_attempt_at=now,
                    )
                )
            new += 1
        store.set_meta(conn, _SCANNED, str(size))
    return new


def alerts(store: Store, limit: int | None = 100) -> list[dict[str, Any]]:
    """The stored alerts, newest found first."""
    stmt = select(s.alerts).order_by(s.alerts.c.id.desc())
    if limit:
        stmt = stmt.limit(limit)
    with store.engine.connect() as c:
        out = []
        for r in c.execute(stmt).mappings():
            d = dict(r)
            d["sampled_at"] = as_utc(d["sampled_at"])
            out.append(d)
        return out


def deliveries(store: Store) -> list[dict[str, Any]]:
    """Every outbox row with its attempts, for inspection and tests."""
    with store.engine.connect() as c:
        rows = [dict(r) for r in c.execute(select(s.deliveries).order_by("id")).mappings()]
        tries = [
            dict(r)
            for r in c.execute(
                select(s.delivery_attempts).order_by("delivery_id", "attempt")
            ).mappings()
        ]
    for r in rows:
        r["tries"] = [t for t in tries if t["delivery_id"] == r["id"]]
    return rows


def _backoff(base: float, attempts: int) -> float:
    return min(MAX_BACKOFF, base * 2 ** max(0, attempts - 1))


def deliver_due(
    store: Store,
    *,
    base_backoff: float = 30.0,
    timeout: float = 10.0,
    limit: int = 10_000,
    now: datetime | None = None,
) -> dict[str, int]:
    """POST every due delivery once; returns ``{"delivered", "failed"}`` counts.

    :param base_backoff: seconds before the first retry; doubled after each failure.
    :param timeout: seconds to wait for a subscriber's answer.
    """
    t = now or now_utc()
    d, a, sub = s.deliveries, s.alerts, s.subscribers
    stmt = (
        select(d.c.id, d.c.attempts, a.c.payload, sub.c.url, sub.c.secret)
        .join(a, a.c.id == d.c.alert_id)
        .join(sub, sub.c.id == d.c.subscriber_id)
        .where(d.c.status == "pending", d.c.next_attempt_at <= t, sub.c.active.is_(True))
        .order_by(d.c.next_attempt_at, d.c.id)
        .limit(limit)
    )
    with store.engine.connect() as c:
        due = c.execute(stmt).all()
    done = failed = 0
    headers_base = {"Content-Type": "application/json", "User-Agent": f"seawitness/{__version__}"}
    with httpx.Client(timeout=timeout) as client:
        for did, attempts, payload, url, secret in due:
            body = payload.encode("utf-8")
            headers = {
                **headers_base,
                SIGNATURE_HEADER: sign_body(secret, body),
                "X-Seawitness-Delivery": str(did),
            }
            code: int | None = None
            error: str | None = None
            try:
                resp = client.post(url, content=body, headers=headers)
                code = resp.status_code
                if not 200 <= code < 300:
                    error = f"HTTP {code}"
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}"
            n = int(attempts) + 1
            at = now_utc()
            with store.transaction() as conn:
                conn.execute(
                    insert(s.delivery_attempts).values(
                        delivery_id=did, attempt=n, at=at, status_code=code, error=error
                    )
                )
                values: dict[str, Any] = {"attempts": n, "last_error": error}
                if error is None:
                    values.update(status="delivered", delivered_at=at)
                    done += 1
                else:
                    values["next_attempt_at"] = at + timedelta(seconds=_backoff(base_backoff, n))
                    failed += 1
                conn.execute(update(d).where(d.c.id == did).values(**values))
    return {"delivered": done, "failed": failed}


def atom_feed(rows: Sequence[dict[str, Any]], *, base_url: str, origin: str) -> str:
    """The alerts as an Atom feed (RFC 4287), newest first; each entry links to the
    record page of its leaf."""
    updated = format_utc(max((r["sampled_at"] for r in rows), default=now_utc()))
    base = base_url.rstrip("/")
    out = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<feed xmlns="http://www.w3.org/2005/Atom">',
        f"<title>seawitness alerts: {escape(origin)}</title>",
        f"<id>tag:seawitness,2026:{escape(origin)}/alerts</id>",
        f'<link rel="self" href="{escape(base)}/alerts.atom"/>',
        f"<updated>{updated}</updated>",
        "<author><name>seawitness</name></author>",
    ]
    for r in rows:
        when = format_utc(r["sampled_at"])
        title = (
            f"{r['kind']}: {r['nuclide']} {r['value']:g} {r['unit']} at {r['station']} "
            f"(level {r['level']:g})"
        )
        out += [
            "<entry>",
            f"<title>{escape(title)}</title>",
            f"<id>tag:seawitness,2026:{escape(origin)}/alerts/{r['key']}</id>",
            f'<link href="{escape(base)}/records/{r["leaf_index"]}"/>',
            f"<updated>{when}</updated>",
            f"<summary>{escape(r['reason'])}</summary>",
            "</entry>",
        ]
    out.append("</feed>")
    return "\n".join(out) + "\n"
