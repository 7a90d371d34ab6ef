"""A registered but hostile lab, through the real HTTP API and CLI: one test per defect.

Each test attacks as KINS, a lab with a valid key, and checks that the server refuses
with a 4xx whose body is ``{error, detail, ...}`` naming the field (never a 500), that a
refused submission changed nothing (tree size, measurement count, the next sequence
number), and that what was accepted still passes the offline audit. Where the gate is
bypassed (leaves appended straight into the store), the audit must name the leaf.
"""

from __future__ import annotations

import base64
import json
import re
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import hypothesis
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event

from seawitness.app import create_app
from seawitness.cli.main import cli
from seawitness.instance import Instance
from seawitness.mirror import AuditFailure, audit, publish
from seawitness.model import Basis, Correction, Detection, Measurement, Medium
from seawitness.model.canonical import canonical_bytes
from seawitness.model.entry import SIGNING_PREFIX, Entry
from seawitness.model.times import format_utc_micro
from seawitness.store import schema as s
from seawitness.store.log import append_leaves, index_entries
from seawitness.store.store import Query
from seawitness.tlog.note import ALG_COSIGNATURE_V1, NoteSignature, format_vkey, parse_note
from seawitness.trust import keyring

ORIGIN = "test.local/seawitness"


# -- the setting: a log with a lab, an operator and (for some tests) a witness ---------


@dataclass
class Log:
    inst: Instance
    client: TestClient
    kins: keyring.KeyPair
    tepco: keyring.KeyPair
    tmp: Path

    def state(self) -> tuple[int, int, int, str | None]:
        store = self.inst.store
        with store.transaction() as conn:
            seq = store.next_seqs(conn, ["KINS"]).get("KINS", 0)
        return (
            store.tree_size(),
            store.count(Query(history=True)),
            seq,
            store.latest_checkpoint_note(),
        )

    def seq(self, who: str = "KINS") -> int:
        with self.inst.store.transaction() as conn:
            return int(self.inst.store.next_seqs(conn, [who]).get(who, 0))

    def admin(self, records: list[tuple[str, dict[str, Any]]]) -> None:
        with self.inst.store.transaction() as conn:
            self.inst.submit_records(conn, self.inst.admin_key(), "admin", records)
            self.inst.checkpoint(conn)


@pytest.fixture
def log(tmp_path: Path, db_url: str) -> Iterator[Log]:
    inst = Instance.create(tmp_path / "inst", db_url=db_url, origin=ORIGIN)
    kins, _ = keyring.generate("KINS")
    tepco, _ = keyring.generate("TEPCO")
    yesterday = datetime.now(UTC) - timedelta(days=1)
    with inst.store.transaction() as conn:
        inst.register(
            conn,
            "KINS",
            "Korea Institute of Nuclear Safety",
            "KR",
            "lab",
            kins,
            valid_from=yesterday,
        )
        inst.register(
            conn, "TEPCO", "Tokyo Electric Power", "JP", "operator", tepco, valid_from=yesterday
        )
        inst.checkpoint(conn)
    client = TestClient(create_app(inst, warm=False))
    yield Log(inst, client, kins, tepco, tmp_path)
    client.close()
    inst.store.close()


def measurement(**changes: Any) -> dict[str, Any]:
    m = Measurement(
        org="KINS",
        station="KR-1",
        medium=Medium.SEAWATER,
        sampled_at=datetime(2025, 9, 1, 1, 0, tzinfo=UTC),
        nuclide="H-3",
        detection=Detection.DETECTED,
        value=0.31,
        unit="Bq/L",
        basis=Basis.WATER,
        uncertainty=0.05,
    )
    rec = m.to_dict()
    rec.update(changes)
    return {k: v for k, v in rec.items() if v is not None or k == "value"}


def jcs(obj: Any) -> bytes:
    """Canonical bytes where JCS can make them; sorted compact JSON for what it cannot
    (integers beyond 2**53): a hostile client sends whatever bytes it likes."""
    try:
        return canonical_bytes(obj)
    except ValueError:
        return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def envelope(
    key: keyring.KeyPair,
    record: Any,
    *,
    seq: int,
    kind: str = "measurement",
    submitter: str = "KINS",
    when: datetime | None = None,
    **override: Any,
) -> dict[str, Any]:
    """The envelope a signer sends, as a dict; ``override`` replaces any member (hostile
    JSON types included) before signing, so the signature is valid over the bad value."""
    env: dict[str, Any] = {
        "key_id": key.key_id,
        "kind": kind,
        "record": record,
        "schema": "seawitness/entry/v1",
        "seq": seq,
        "submitted_at": format_utc_micro(when or datetime.now(UTC)),
        "submitter": submitter,
    }
    env.update({k: v for k, v in override.items() if k != "signature"})
    sig = key.sign(SIGNING_PREFIX + jcs(env))
    env["signature"] = override.get("signature", base64.b64encode(sig).decode())
    return env


def line(key: keyring.KeyPair, record: Any, **kw: Any) -> bytes:
    return jcs(envelope(key, record, **kw))


def post(log: Log, *lines: bytes, path: str = "/api/v1/entries") -> httpx.Response:
    return log.client.post(path, content=b"\n".join(lines) + b"\n")


def refused(
    log: Log, body: bytes, *, field: str, status: int | tuple[int, ...] = 422
) -> dict[str, Any]:
    """POST ``body``; it must be refused with ``status``, naming ``field``, changing nothing."""
    before = log.state()
    r = log.client.post("/api/v1/entries", content=body)
    statuses = (status,) if isinstance(status, int) else status
    assert r.status_code in statuses, (r.status_code, r.text[:500])
    out = r.json()
    assert set(out) >= {"error", "detail"}, out
    assert re.search(field, out["detail"], re.IGNORECASE), (field, out["detail"])
    assert log.state() == before, "a refused submission must change nothing"
    return out


def accepted(log: Log, *lines: bytes) -> dict[str, Any]:
    r = post(log, *lines)
    assert r.status_code == 200, r.text
    return r.json()


def audit_of(log: Log, name: str = "mirror") -> Any:
    """Publish the log as tiles and audit the mirror offline (pinned keys)."""
    mirror = log.tmp / name
    publish(log.inst.store, mirror)
    return audit(
        mirror,
        trust_log_key=log.inst.log_key().vkey,
        admin_vkey=log.inst.admin_key().vkey,
        workers=1,
    )


def cli_audit(log: Log, name: str = "mirror-cli") -> Any:
    mirror = log.tmp / name
    publish(log.inst.store, mirror)
    return CliRunner().invoke(
        cli,
        [
            "audit",
            str(mirror),
            "--trust-log-key",
            log.inst.log_key().vkey,
            "--admin-vkey",
            log.inst.admin_key().vkey,
            "--no-state",
            "--workers",
            "1",
        ],
    )


def bypass(log: Log, key: keyring.KeyPair, raw: dict[str, Any]) -> int:
    """Append an entry straight into the store, past the gate (as a buggy or hostile
    server would), with a fresh checkpoint over it; return its leaf index."""
    store = log.inst.store
    with store.transaction() as conn:
        first = store.tree_size(conn)
        raw = {**raw, "logged_at": format_utc_micro(datetime.now(UTC))}
        data = jcs(raw)
        append_leaves(conn, [data])
        if type(raw["seq"]) is int:  # a leaf the index can describe
            entry = Entry.from_bytes(data)
            index_entries(conn, first, [entry], [entry.record_id])
        log.inst.checkpoint(conn)
    return first


# -- 1. backdating past a revocation, an expiry, or before validity --------------------


_LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)


def _register_key(log: Log, **validity: datetime) -> keyring.KeyPair:
    key, _ = keyring.generate("KINS")
    rec: dict[str, Any] = {
        "key_id": key.key_id,
        "stakeholder": "KINS",
        "vkey": key.vkey,
        "valid_from": format_utc_micro(
            validity.get("valid_from", datetime(2020, 1, 1, tzinfo=UTC))
        ),
    }
    if "valid_until" in validity:
        rec["valid_until"] = format_utc_micro(validity["valid_until"])
    log.admin([("key", rec)])
    return key


@pytest.mark.parametrize(
    "case",
    ["revoked-2021", "revoked-2min-before", "revoked-year-9000", "expired", "not-yet-valid"],
)
def test_1_backdated_submitted_at_does_not_revive_a_key(log: Log, case: str) -> None:
    now = datetime.now(UTC)
    if case.startswith("revoked"):
        key = _register_key(log)
        revoked = now - timedelta(minutes=1)
        log.admin(
            [
                (
                    "revocation",
                    {
                        "key_id": key.key_id,
                        "reason": "stolen",
                        "revoked_at": format_utc_micro(revoked),
                    },
                )
            ]
        )
        when = {
            "revoked-2021": datetime(2021, 1, 1, tzinfo=UTC),
            "revoked-2min-before": revoked - timedelta(minutes=2),
            "revoked-year-9000": datetime(9000, 1, 1, tzinfo=UTC),
        }[case]
        why = "submitted_at" if case != "revoked-2min-before" else "revoked"
    elif case == "expired":
        key = _register_key(log, valid_until=now - timedelta(minutes=1))
        when, why = now - timedelta(minutes=3), "expired"  # signed "before" the expiry
    else:
        key = _register_key(log, valid_from=now + timedelta(minutes=3))
        when, why = now + timedelta(minutes=4), "not valid before"  # claims "after" start
    out = refused(log, line(key, measurement(), seq=log.seq(), when=when), field=why)
    assert out["index"] == 0 and out["line"] == 1
    # The lab's valid key still works, and the log audits.
    accepted(log, line(log.kins, measurement(), seq=log.seq()))
    assert audit_of(log).tree_size == log.inst.store.tree_size()


# -- 2. seq false ----------------------------------------------------------------------


@pytest.mark.parametrize("seq", [False, True, 0.5, "0", None, -1, 2**53, 2**64, [0]])
def test_2_seq_must_be_an_integer_not_a_boolean(log: Log, seq: Any) -> None:
    refused(log, line(log.kins, measurement(), seq=seq), field="seq")
    first = accepted(log, line(log.kins, measurement(), seq=0))["first_leaf"]
    leaf = log.client.get(f"/api/v1/records/{first}")
    assert leaf.status_code == 200 and '"seq":0,' in leaf.json()["entry"]
    assert log.client.get("/api/v1/limits").status_code == 200
    pq = log.client.get("/api/v1/measurements", params={"format": "parquet"})
    assert pq.status_code == 200 and pq.content[:4] == b"PAR1"
    assert audit_of(log).tree_size == first + 1


def test_2_a_seq_false_leaf_past_the_gate_fails_the_audit(log: Log) -> None:
    env = envelope(log.kins, measurement(), seq=False)
    leaf = bypass(log, log.kins, env)
    with pytest.raises(AuditFailure, match="seq") as caught:
        audit_of(log)
    assert caught.value.leaf_index == leaf


# -- 3. one lab publishing as another --------------------------------------------------


TEPCO_RESULT = {"org": "TEPCO", "station": "T-0-1A", "value": 900}


def test_3_a_lab_cannot_publish_for_another_org(log: Log) -> None:
    refused(log, line(log.kins, measurement(**TEPCO_RESULT), seq=0), field="organisation 'TEPCO'")
    refused(log, line(log.kins, measurement(lab="TEPCO"), seq=0), field="lab 'TEPCO'")
    # With a logged grant it may, and every listing names who signed beside the org.
    log.admin([("grant", {"stakeholder": "KINS", "grant": "publish-for", "org": "TEPCO"})])
    first = accepted(log, line(log.kins, measurement(**TEPCO_RESULT), seq=0))["first_leaf"]
    page = log.client.get("/api/v1/measurements", params={"history": "true"})
    assert page.status_code == 200, page.text
    rows = [r for r in page.json()["results"] if r["org"] == "TEPCO"]
    assert [(r["org"], r["submitter"], r["value"]) for r in rows] == [("TEPCO", "KINS", 900)]
    csv_text = log.client.get("/api/v1/measurements", params={"format": "csv"}).text
    header, row = csv_text.splitlines()[:2]
    assert "submitter" in header.split(",") and "KINS" in row.split(",")
    rec = log.client.get(f"/api/v1/records/{first}").json()
    assert rec["submitter"] == "KINS" and rec["record"]["org"] == "TEPCO"
    assert audit_of(log).by_submitter["KINS"] == 1


def test_3_a_leaf_published_for_another_org_past_the_gate_fails_the_audit(log: Log) -> None:
    accepted(log, line(log.kins, measurement(), seq=0))
    leaf = bypass(log, log.kins, envelope(log.kins, measurement(**TEPCO_RESULT), seq=1))
    with pytest.raises(AuditFailure, match="TEPCO") as caught:
        audit_of(log)
    assert caught.value.leaf_index == leaf
    r = cli_audit(log)
    assert r.exit_code == 1 and f"leaf {leaf}" in r.output and "AUDIT FAILED" in r.output


# -- 5. records and kinds ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"value": "1.5"}, "value"),
        ({"value": True}, "value"),
        ({"uncertainty": False}, "uncertainty"),
        ({"unit": "furlongs"}, "unit"),
        ({"unit": "Bq/kg", "basis": "wet"}, "per kg wet"),
        ({"unit": "Bq/kg-fresh", "basis": "wet"}, "per kg wet"),
        ({"unit": "Bq/L", "basis": "wet"}, "unit"),
        ({"nuclide": 7}, "nuclide"),
        ({"sampled_at": 20250901}, "sampled_at"),
        ({"value": 1e308 * 10}, "value"),
    ],
)
def test_5_a_measurement_must_pass_the_model(log: Log, changes: dict[str, Any], field: str) -> None:
    rec = measurement(**changes)
    if changes.get("value") == float("inf"):
        body = line(log.kins, measurement(), seq=0).replace(b'"value":0.31', b'"value":1e999')
    else:
        body = line(log.kins, rec, seq=0)
    refused(log, body + b"\n", field=field)


@pytest.mark.parametrize("kind", ["ruleset", "alert", "stakeholder", "key", "grant"])
def test_5_a_lab_cannot_log_rule_sets_alerts_or_registry_entries(log: Log, kind: str) -> None:
    rec = {"id": "sea-limits", "name": "mine", "kind": "admin", "rules": []}
    refused(log, line(log.kins, rec, seq=0, kind=kind), field="administrator|rule set|alerts")


# -- 6. body size and time limits, cosignature timestamps --------------------------------


def test_6_oversized_bodies_are_refused_without_reading_them_whole(log: Log) -> None:
    from seawitness.api.writes import MAX_COSIGNATURE_BODY, MAX_ENTRIES_BODY

    before = log.state()
    r = log.client.post(
        "/api/v1/entries", content=b"x", headers={"content-length": str(MAX_ENTRIES_BODY + 1)}
    )
    assert r.status_code == 413 and r.json()["error"] == "too_large"

    chunk = b" " * (1 << 20)
    sent = 0

    def stream() -> Iterator[bytes]:  # chunked: no Content-Length to refuse up front
        nonlocal sent
        for _ in range(MAX_ENTRIES_BODY // len(chunk) + 2):
            sent += 1
            yield chunk

    r = log.client.post("/api/v1/entries", content=stream())
    assert r.status_code == 413 and "bytes per request" in r.json()["detail"]
    r = log.client.post("/api/v1/cosignatures", content=b"a" * (MAX_COSIGNATURE_BODY + 1))
    assert r.status_code == 413
    r = log.client.post(
        "/api/v1/cosignatures", content=iter([b"a" * 4096] * (MAX_COSIGNATURE_BODY // 4096 + 1))
    )
    assert r.status_code == 413
    assert log.state() == before


@pytest.fixture
def witness(log: Log) -> keyring.KeyPair:
    wkey, _ = keyring.generate("witness-KR")
    with log.inst.store.transaction() as conn:
        log.inst.register(
            conn,
            "witness-KR",
            "Witness",
            "KR",
            "witness",
            wkey,
            valid_from=datetime.now(UTC) - timedelta(days=1),
            vkey=format_vkey(wkey.name, ALG_COSIGNATURE_V1, wkey.public_bytes),
        )
        log.inst.checkpoint(conn)
    return wkey


def _cosigned(log: Log, wkey: keyring.KeyPair, stamp: int) -> bytes:
    note_text = log.client.get("/checkpoint").text
    body = parse_note(note_text).text
    cs = wkey.signer.cosigner()
    sig = NoteSignature(cs.name, cs.key_id, cs.sign_at(body.encode(), stamp))
    return (note_text + sig.line).encode()


def _cosignatures(log: Log) -> int:
    with log.inst.store.transaction() as conn:
        return len(conn.execute(s.cosignatures.select()).all())


@pytest.mark.parametrize("stamp", [2**63 - 1, 0, "past", "future"])
def test_6_cosignature_timestamps_must_be_near_the_logs_clock(
    log: Log, witness: keyring.KeyPair, stamp: int | str
) -> None:
    now = int(time.time())
    t = {"past": now - 3600, "future": now + 3600}.get(stamp, stamp)  # type: ignore[call-overload]
    r = log.client.post("/api/v1/cosignatures", content=_cosigned(log, witness, t))
    assert r.status_code == 400 and "timestamp" in r.json()["detail"], r.text
    assert _cosignatures(log) == 0
    ok = log.client.post("/api/v1/cosignatures", content=_cosigned(log, witness, now))
    assert ok.status_code == 200 and ok.json()["added"] == ["witness-KR"]
    assert _cosignatures(log) == 1


# -- 7. a submission reads by index, never the whole of heads or measurements ------------


def _plans(log: Log, statements: list[tuple[str, Any]]) -> list[tuple[str, str]]:
    """The query plan of every SELECT (on the backend's own EXPLAIN)."""
    out = []
    engine = log.inst.store.engine
    with engine.connect() as conn:
        raw = conn.connection.driver_connection
        pg = engine.dialect.name == "postgresql"
        cur = raw.cursor()  # type: ignore[union-attr]
        if pg:
            cur.execute("SET enable_seqscan = off")  # a seq scan then means: no usable index
        for sql, params in statements:
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            cur.execute(("EXPLAIN " if pg else "EXPLAIN QUERY PLAN ") + sql, params)
            out.append((sql, "\n".join(str(row) for row in cur.fetchall())))
        cur.close()
    return out


def test_7_a_submission_uses_indexed_look_ups_only(log: Log) -> None:
    # A log with some history first, so that a scan would be a choice, not a necessity.
    accepted(log, *(line(log.kins, measurement(station=f"KR-{i}"), seq=i) for i in range(30)))
    target = accepted(log, line(log.kins, measurement(station="KR-X"), seq=30))["first_leaf"]
    fix = Correction(
        supersedes=target,
        reason="typo",
        replacement=Measurement.from_dict(measurement(station="KR-X", value=0.2)),
    )
    statements: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, sql: str, params: Any, context: Any, many: bool) -> None:
        statements.append((sql, params))

    engine = log.inst.store.engine
    event.listen(engine, "before_cursor_execute", capture)
    try:
        accepted(
            log,
            line(log.kins, measurement(station="KR-NEW"), seq=31),
            line(log.kins, json.loads(fix.canonical()), seq=32, kind="correction"),
        )
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    # Statements the append path runs on the raw DB-API cursor do not pass SQLAlchemy's
    # events; they are primary-key look-ups by construction (store.log._one).
    touching = [
        (sql, plan)
        for sql, plan in _plans(log, statements)
        if re.search(r"\b(measurements|heads)\b", sql)
    ]
    assert touching, "the gate reads heads and measurements; the capture saw none"
    for sql, plan in touching:
        scans = re.findall(
            r"SCAN (?:TABLE )?(measurements|heads)\b|Seq Scan on (measurements|heads)", plan
        )
        assert not scans, f"full scan in a submission:\n{sql}\n{plan}"
        assert " WHERE " in sql.upper().replace("\n", " "), sql


# -- 8. inputs that once answered 500 --------------------------------------------------


@pytest.mark.parametrize(
    ("path", "params"),
    [
        (f"/api/v1/records/{2**63}", {}),
        (f"/api/v1/records/{2**64 + 5}/history", {}),
        (f"/api/v1/records/{2**63}/proof", {}),
        ("/api/v1/records/-1", {}),
        ("/api/v1/measurements", {"offset": str(2**63)}),
        ("/api/v1/measurements", {"limit": str(2**63)}),
        ("/api/v1/measurements", {"since": "9999-12-31T23:59:59-23:59"}),
        ("/api/v1/measurements", {"until": "0001-01-01T00:00:00+01:00"}),
        ("/api/v1/measurements", {"since": "2025-13-01"}),
        ("/api/v1/measurements", {"format": "csv", "since": "9999-12-31T23:59:59-23:59"}),
        ("/api/v1/measurements", {"cursor": "!!!"}),
        ("/api/v1/stakeholders/%FF%FE/next-seq", {}),
        ("/api/v1/stations/%00/%FF", {}),
    ],
)
def test_8_hostile_read_parameters_answer_4xx(log: Log, path: str, params: dict[str, str]) -> None:
    r = log.client.get(path, params=params)
    assert 400 <= r.status_code < 500 or r.status_code == 200, (r.status_code, r.text[:300])
    if r.status_code != 200:
        assert set(r.json()) >= {"error", "detail"}


_GOOD = {"kind": "measurement", "submitter": "KINS"}


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"signature": 12}, "signature"),
        ({"signature": None}, "signature"),
        ({"signature": "not base64!"}, "signature"),
        ({"signature": base64.b64encode(b"x" * 10).decode()}, "signature"),
        ({"submitted_at": 1767225600}, "submitted_at"),
        ({"submitted_at": ["2026"]}, "submitted_at"),
        ({"submitted_at": "yesterday"}, "submitted_at"),
        ({"key_id": 5}, "key_id"),
        ({"key_id": {"a": 1}}, "key_id"),
        ({"submitter": False}, "submitter"),
        ({"submitter": ""}, "submitter"),
        ({"kind": ["measurement"]}, "kind"),
        ({"kind": "sermon"}, "kind"),
        ({"record": [1, 2]}, "record"),
        ({"record": "a string"}, "record"),
        ({"record": None}, "record"),
        ({"schema": "seawitness/entry/v2"}, "schema"),
        ({"logged_at": "2020-01-01T00:00:00Z"}, "logged_at"),
    ],
)
def test_8_wrong_json_types_in_an_entry_answer_422(
    log: Log, override: dict[str, Any], field: str
) -> None:
    override = dict(override)  # the parameter is shared by both backends' runs
    record = override.pop("record", measurement())
    env = envelope(log.kins, record, seq=0, **override)
    out = refused(log, jcs(env) + b"\n", field=field)
    assert out["index"] == 0 and out["line"] == 1


def test_8_deep_nesting_and_bad_corrections_answer_4xx(log: Log) -> None:
    refused(log, b"[" * 30_000 + b"]" * 30_000, field="nest|bytes", status=(400, 422))
    refused(log, b"[" * 30_000 + b"\n", field="nest|bytes", status=(400, 422))
    deep = line(log.kins, {"a": 1}, seq=0).replace(b'{"a":1}', b"[" * 20_000 + b"]" * 20_000)
    refused(log, deep, field="nest", status=(400, 422))
    bad = {"schema": "seawitness/correction/v1", "supersedes": "abc", "reason": "x"}
    refused(log, line(log.kins, bad, seq=0, kind="correction"), field="supersedes")
    for target in (2**63, -1, True, 10**30):
        bad["supersedes"] = target
        refused(log, line(log.kins, bad, seq=0, kind="correction"), field="supersedes|leaf")
    assert audit_of(log).tree_size == log.inst.store.tree_size()


# -- 9. witnesses ------------------------------------------------------------------------


def test_9_a_witness_must_register_a_cosignature_key(log: Log) -> None:
    ordinary, _ = keyring.generate("witness-JP")
    before = log.state()

    def add_witness(vkey: str) -> Any:
        args = ["--instance", str(log.inst.root), "stakeholder", "add", "witness-JP"]
        return CliRunner().invoke(
            cli, [*args, "--name", "Witness", "--kind", "witness", "--vkey", vkey]
        )

    r = add_witness(ordinary.vkey)
    assert r.exit_code != 0 and "cosignature/v1" in r.output, r.output
    assert log.state()[:3] == before[:3]
    good = format_vkey(ordinary.name, ALG_COSIGNATURE_V1, ordinary.public_bytes)
    r = add_witness(good)
    assert r.exit_code == 0, r.output


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def served(log: Log) -> Iterator[str]:
    """The app behind a real HTTP server in a thread (the witness CLI speaks HTTP)."""
    import uvicorn

    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(log.inst, warm=False),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="off",
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def test_9_witness_fails_when_the_log_holds_nothing_of_it(log: Log, served: str) -> None:
    stranger, skey = keyring.generate("witness-XX")  # never registered
    keyring.save(log.tmp / "wkeys", "witness-XX", skey, stranger.vkey)
    args = [
        "witness",
        "--log",
        served,
        "--key",
        str(log.tmp / "wkeys" / "witness-XX.key"),
        "--state",
        str(log.tmp / "wstate"),
        "--log-key",
        log.inst.log_key().vkey,
    ]
    r = CliRunner().invoke(cli, args)
    assert r.exit_code == 1, r.output
    assert "cosigned" not in r.output.replace("cosignature", "") and "refused" in r.output
    assert _cosignatures(log) == 0


# -- 10. error bodies, UTF-8, OpenAPI ----------------------------------------------------


def test_10_batch_errors_name_the_position_not_a_leaf(log: Log) -> None:
    accepted(log, line(log.kins, measurement(), seq=0))
    size = log.inst.store.tree_size()
    batch = [
        line(log.kins, measurement(station="KR-2"), seq=1),
        b"",
        line(log.kins, measurement(station="KR-3"), seq=2),
        line(log.kins, measurement(station="KR-4", value="x"), seq=3),
    ]
    out = refused(log, b"\n".join(batch), field="value")
    assert out["error"] == "rejected" and out["index"] == 2 and out["line"] == 4, out
    assert out["detail"].startswith("entry 2: KINS KR-4 H-3")
    assert f"leaf {size + 2}" not in out["detail"]
    # A duplicate inside the batch names the batch position, one already logged the leaf.
    dup = [
        line(log.kins, measurement(station="KR-5"), seq=1),
        line(log.kins, measurement(station="KR-5"), seq=2),
    ]
    out = refused(log, b"\n".join(dup), field="entry 0 of this batch")
    assert out["index"] == 1
    out = refused(log, line(log.kins, measurement(), seq=1), field=f"leaf {size - 1}")
    assert out["index"] == 0


@pytest.mark.parametrize("path", ["/api/v1/entries", "/api/v1/cosignatures"])
def test_10_invalid_utf8_is_named_as_utf8(log: Log, path: str) -> None:
    before = log.state()
    r = log.client.post(path, content=b'{"kind":"\xff\xfe"}\n')
    assert r.status_code in (400, 422), r.text
    out = r.json()
    assert set(out) >= {"error", "detail"} and "UTF-8" in out["detail"], out
    assert "utf-16" not in out["detail"].lower()
    r = log.client.post(path, content="\ufeff{}".encode("utf-16-le"))
    assert 400 <= r.status_code < 500 and "utf-16" not in r.json()["detail"].lower()
    assert log.state() == before


def test_10_openapi_describes_post_bodies_and_refusals(log: Log) -> None:
    spec = log.client.get("/openapi.json").json()
    for path, media in (
        ("/api/v1/entries", "application/x-ndjson"),
        ("/api/v1/cosignatures", "text/plain"),
    ):
        op = spec["paths"][path]["post"]
        assert media in op["requestBody"]["content"], op
        for code in ("400", "413", "429"):
            ref = op["responses"][code]["content"]["application/json"]["schema"]["$ref"]
            assert ref.endswith("/ErrorBody")
    assert "422" in spec["paths"]["/api/v1/entries"]["post"]["responses"]
    body = spec["components"]["schemas"]["ErrorBody"]
    assert {"error", "detail"} <= set(body["required"])
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            codes = {c for c in op.get("responses", {}) if c.startswith("4")}
            if "{" in path or method == "post":
                assert codes, f"{method.upper()} {path} documents no 4xx answer"


def test_accepted_data_audits_through_the_cli(log: Log) -> None:
    """After every kind of refusal above, what was accepted still audits."""
    accepted(log, line(log.kins, measurement(), seq=0))
    refused(log, line(log.kins, measurement(org="TEPCO"), seq=1), field="TEPCO")
    accepted(
        log, line(log.tepco, measurement(org="TEPCO", station="T-0-1A"), seq=0, submitter="TEPCO")
    )
    r = cli_audit(log)
    assert r.exit_code == 0 and "AUDIT PASSED" in r.output, r.output


# -- a property: whatever a hostile lab posts, the log stays canonical and auditable -----

_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
)
_json = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
_FIELDS = ("key_id", "kind", "record", "schema", "seq", "signature", "submitted_at", "submitter")


def _hostile_value(data: st.DataObject, name: str, key: keyring.KeyPair) -> Any:
    """A wrong value for envelope member ``name``: another JSON type, an edge, garbage."""
    special: dict[str, list[Any]] = {
        "seq": [False, True, 0.5, -1, 2**53, 2**63, "0", [0]],
        "signature": ["not base64!", base64.b64encode(b"\0" * 64).decode(), "", 64],
        "submitted_at": ["2021-01-01T00:00:00Z", "9000-01-01T00:00:00Z", "yesterday", 0],
        "kind": ["ruleset", "alert", "key", "grant", "sermon", ["measurement"]],
        "key_id": [key.key_id + "x", "admin+00000000", 5],
        "submitter": ["TEPCO", "admin", "", False],
        "schema": ["seawitness/entry/v2", None],
    }
    return data.draw(st.sampled_from(special.get(name, [None])) | _json, label=name)


def _hostile_record(data: st.DataObject, station: str) -> Any:
    rec = measurement(station=station, value=data.draw(st.floats(0, 1e6), label="value"))
    how = data.draw(st.sampled_from(["valid", "field", "drop", "junk", "deep"]), label="record")
    if how == "field":
        field = data.draw(st.sampled_from(sorted(rec) + ["org", "lab", "extra"]), label="field")
        rec[field] = data.draw(
            st.sampled_from(["1.5", True, "furlongs", "Bq/kg-fresh", "TEPCO", 2**60]) | _json,
            label="field value",
        )
    elif how == "drop":
        rec.pop(data.draw(st.sampled_from(sorted(rec)), label="dropped"))
    elif how == "junk":
        return data.draw(_json, label="junk record")
    elif how == "deep":
        depth = data.draw(st.integers(10, 40), label="depth")
        nested: Any = 1
        for _ in range(depth):
            nested = [nested]
        rec["extra"] = {"x": nested}
    return rec


def test_property_hostile_entries_leave_a_canonical_auditable_log(log: Log) -> None:
    from seawitness.api.limits import RateLimiter

    # Spend no example on the request budget (its 429 is tested above).
    log.client.app.state.limits.requests = RateLimiter(10**9, 10**9)  # type: ignore[attr-defined]
    counts: Counter[str] = Counter()
    stations = iter(range(10**6))

    @settings(
        max_examples=300,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(data=st.data())
    def attack(data: st.DataObject) -> None:
        key = data.draw(st.sampled_from([log.kins, log.tepco]), label="key")
        who = "KINS" if key is log.kins else "TEPCO"
        record = _hostile_record(data, f"ST-{next(stations)}")
        if who == "TEPCO" and isinstance(record, dict) and record.get("org") == "KINS":
            record["org"] = "TEPCO"
        bad = data.draw(st.lists(st.sampled_from(_FIELDS), max_size=2, unique=True), label="bad")
        override = {name: _hostile_value(data, name, key) for name in bad if name != "record"}
        if "record" in bad:
            record = _hostile_value(data, "record", key)
        env = envelope(key, record, **{"seq": log.seq(who), "submitter": who, **override})
        form = data.draw(
            st.sampled_from(["canonical"] * 6 + ["pretty", "utf8", "brackets", "bytes"]),
            label="form",
        )
        body = {
            "canonical": lambda: jcs(env),
            "pretty": lambda: json.dumps(env, indent=1).encode(),
            "utf8": lambda: jcs(env).replace(b'"schema"', b'"sch\xffema"'),
            "brackets": lambda: b"[" * data.draw(st.integers(1, 40_000), label="n"),
            "bytes": lambda: data.draw(st.binary(max_size=200), label="raw"),
        }[form]()
        before = log.state()
        r = log.client.post("/api/v1/entries", content=body + b"\n")
        counts["tried"] += 1
        counts[f"HTTP {r.status_code}"] += 1
        hypothesis.event(f"status {r.status_code}")
        if r.status_code == 200:
            counts["stored"] += 1
            for leaf in r.json()["leaves"]:
                got = log.client.get(f"/api/v1/records/{leaf}")
                assert got.status_code == 200, got.text
                entry = got.json()["entry"].encode()
                assert canonical_bytes(json.loads(entry)) == entry
                assert Entry.from_bytes(entry, leaf=True).to_bytes() == entry
            return
        counts["refused"] += 1
        assert 400 <= r.status_code < 500, (r.status_code, r.text[:300], body[:300])
        out = r.json()
        assert set(out) >= {"error", "detail"}, out
        assert log.state() == before, "a refused submission changed the log"

    attack()
    print(
        f"\nhostile inputs ({log.inst.store.engine.dialect.name}): tried {counts['tried']}, "
        f"refused {counts['refused']}, stored {counts['stored']} "
        f"({', '.join(f'{k} {n}' for k, n in sorted(counts.items()) if k.startswith('HTTP'))})"
    )
    assert counts["stored"] > 0 and counts["refused"] > counts["stored"]
    assert audit_of(log).tree_size == log.inst.store.tree_size()
