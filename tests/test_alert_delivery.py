"""Webhook delivery of alerts: HMAC-signed, retried with backoff while the receiver is
down, and kept in the database so a restarted deliverer finishes the job exactly once
per alert; the Atom feed and ``seawitness alerts`` list the same alerts."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from seawitness.cli.main import cli
from seawitness.service import alert_delivery as ad

SECRET = "shared-secret-of-this-subscriber"

#: A rule set whose levels every detected seawater tritium or caesium result is above, so
#: the real evaluation finds alerts in a few ORBS files.
LOW_LEVELS = """
schema = "seawitness/ruleset/v1"
id = "test-low"
title = "Test levels below every detected result"
jurisdiction = "XX"
nd_policy = "detection_limit"
[[rules]]
id = "h3"
level = "investigation"
media = ["seawater"]
nuclides = ["H-3"]
aggregation = "single"
limit = 0.001
unit = "Bq/L"
source = "test"
confidence = "HIGH"
[[rules]]
id = "cs137"
level = "investigation"
media = ["seawater"]
nuclides = ["Cs-137"]
aggregation = "single"
limit = 0.0001
unit = "Bq/L"
source = "test"
confidence = "HIGH"
"""


class Receiver(BaseHTTPRequestHandler):
    got: list[tuple[dict[str, str], bytes]] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Receiver.got.append((dict(self.headers), body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _utcnow() -> Any:
    from datetime import UTC, datetime

    return datetime.now(UTC).replace(tzinfo=None)


def _deliver(root: Path) -> str:
    """One delivery pass in its own process, as a restarted deliverer would run it."""
    out = subprocess.run(
        [sys.executable, "-m", "seawitness.cli.main", "--instance", str(root), "alerts",
         "deliver", "--backoff", "4", "--timeout", "2"],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    return out.stderr + out.stdout


@pytest.mark.slow
def test_delivery_survives_a_receiver_that_is_down_and_a_restart(
    instance: Any, tmp_path: Path
) -> None:
    rules = tmp_path / "test-low.toml"
    rules.write_text(LOW_LEVELS)
    port = _free_port()
    url = f"http://127.0.0.1:{port}/hook"
    ad.subscribe(instance.store, url, secret=SECRET, name="test receiver")
    n = ad.scan(instance.store, rules)
    assert n > 0
    assert ad.scan(instance.store, rules) == 0  # nothing new: each alert is found once

    # The receiver is down: every delivery fails, is recorded, and waits its backoff.
    assert "delivered 0, failed" in _deliver(instance.root)
    rows = ad.deliveries(instance.store)
    assert len(rows) == n
    assert all(r["status"] == "pending" and r["attempts"] == 1 for r in rows)
    assert all("Connect" in (r["last_error"] or "") for r in rows)
    for r in rows:  # the next try waits the backoff (4 s after the first failure)
        wait = (r["next_attempt_at"] - r["tries"][0]["at"]).total_seconds()
        assert wait == pytest.approx(4.0, abs=1e-3)
    due = max(r["next_attempt_at"] for r in rows)

    Receiver.got = []
    server = ThreadingHTTPServer(("127.0.0.1", port), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        time.sleep(max(0.0, (due.replace(tzinfo=None) - _utcnow()).total_seconds()) + 0.2)
        assert f"delivered {n}, failed 0" in _deliver(instance.root)  # a new process
        assert "delivered 0, failed 0" in _deliver(instance.root)  # and nothing twice
    finally:
        server.shutdown()
        server.server_close()

    assert len(Receiver.got) == n
    leaves = set()
    for headers, body in Receiver.got:
        expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        assert headers[ad.SIGNATURE_HEADER] == expected
        alert = json.loads(body)
        assert alert["schema"] == "seawitness/alert/v1"
        assert alert["value"] > alert["level"]
        leaves.add(alert["leaf_index"])
    assert len(leaves) == n
    rows = ad.deliveries(instance.store)
    assert all(r["status"] == "delivered" and r["attempts"] == 2 for r in rows)
    assert all([t["status_code"] for t in r["tries"]] == [None, 204] for r in rows)
    assert ad.subscribers(instance.store)[0]["delivered"] == n


def test_a_tampered_body_fails_the_receivers_check() -> None:
    body = b'{"value": 52}'
    sig = ad.sign_body(SECRET, body)
    assert sig == ad.sign_body(SECRET, body)
    assert sig != ad.sign_body(SECRET, b'{"value": 5.2}')
    assert sig != ad.sign_body("another secret", body)
    # RFC 4231 test case 2 (HMAC-SHA256, key "Jefe").
    assert ad.sign_body("Jefe", b"what do ya want for nothing?") == (
        "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    )


def test_alerts_command_and_atom_feed_list_the_alerts(instance: Any, tmp_path: Path) -> None:
    rules = tmp_path / "test-low.toml"
    rules.write_text(LOW_LEVELS)
    runner = CliRunner()
    got = runner.invoke(
        cli, ["--instance", str(instance.root), "alerts", "scan", "--rules", str(rules)]
    )
    assert got.exit_code == 0, got.output
    listed = runner.invoke(cli, ["--instance", str(instance.root), "alerts", "--json"])
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.output)
    assert rows and rows[0]["value"] > rows[0]["level"]
    feed = ad.atom_feed(ad.alerts(instance.store), base_url="http://x", origin=instance.origin)
    assert feed.count("<entry>") == len(ad.alerts(instance.store, None)) or len(rows) == 50
    assert f'href="http://x/records/{rows[0]["leaf_index"]}"' in feed


@pytest.mark.parametrize("url", ["ftp://x", "example.org/hook", ""])
def test_subscribe_refuses_what_is_not_a_web_url(instance: Any, url: str) -> None:
    with pytest.raises(ad.SubscriberError, match="url"):
        ad.subscribe(instance.store, url)
