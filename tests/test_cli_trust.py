"""The publish / audit / prove / verify-proof commands, end to end through click."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from seawitness.cli.main import cli


@pytest.fixture(scope="module")
def app():  # type: ignore[no-untyped-def]
    """The main group, where every trust command is registered."""
    return cli


def test_commands_are_named() -> None:
    assert {"publish", "audit", "check", "prove", "verify-proof"} <= set(cli.commands)


def test_publish_audit_prove_verify(app, instance, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    runner = CliRunner()
    base = ["--instance", str(instance.root), "--db", instance.db_url]
    mirror = tmp_path / "mirror"
    result = runner.invoke(app, [*base, "publish", str(mirror)])
    assert result.exit_code == 0, result.output
    assert "Published" in result.output and (mirror / "checkpoint").is_file()

    log_key = instance.keys_dir / "log.pub"
    admin_key = instance.keys_dir / "admin.pub"
    pinned = ["--trust-log-key", str(log_key), "--admin-vkey", str(admin_key)]
    state = ["--state", str(tmp_path / "state")]
    # audit needs no instance and no database: point both at nothing.
    nowhere = ["--instance", str(tmp_path / "none"), "--db", "sqlite:////nonexistent/x.db"]
    result = runner.invoke(app, [*nowhere, "audit", str(mirror), *pinned, *state, "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert "AUDIT PASSED" in result.output and "first audit" in result.output
    assert "warning" not in result.output

    result = runner.invoke(app, ["audit", str(mirror), "--no-state", "--json", "--workers", "1"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["ok"] and summary["tree_size"] == instance.store.tree_size()
    assert any("trusting the mirror" in w for w in summary["warnings"])

    proof = tmp_path / "leaf.json"
    result = runner.invoke(app, [*base, "prove", "42", "--out", str(proof)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, [*nowhere, "verify-proof", str(proof), *pinned])
    assert result.exit_code == 0, result.output
    assert "PROOF VALID" in result.output and "FAIL" not in result.output
    # The bundled public results are signed by demo keys the instance holds: it says so.
    assert "WARN  demo key" in result.output and "not by" in result.output

    bundle = json.loads(proof.read_text())
    bundle["inclusion_proof"][0] = "11" * 32
    proof.write_text(json.dumps(bundle))
    result = runner.invoke(app, ["verify-proof", str(proof), *pinned])
    assert result.exit_code == 1
    assert "FAIL  checkpoint root" in result.output and "PROOF INVALID" in result.output

    stdout_proof = runner.invoke(app, [*base, "prove", bundle["record_id"]])
    assert stdout_proof.exit_code == 0
    assert json.loads(stdout_proof.stdout)["leaf_index"] == 42


def test_audit_failure_exits_nonzero_and_names_the_leaf(app, instance, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    runner = CliRunner()
    mirror = tmp_path / "mirror"
    base = ["--instance", str(instance.root), "--db", instance.db_url]
    assert runner.invoke(app, [*base, "publish", str(mirror)]).exit_code == 0
    bundle = mirror / "tile/entries/001"
    data = bytearray(bundle.read_bytes())
    data[2 + 40] ^= 0x02  # inside the first entry of the bundle: leaf 256
    bundle.write_bytes(bytes(data))
    result = runner.invoke(app, ["audit", str(mirror), "--no-state", "--workers", "1"])
    assert result.exit_code == 1
    assert "AUDIT FAILED" in result.output and "leaf 256" in result.output


def test_prove_unknown_record_is_a_clean_error(app, instance) -> None:  # type: ignore[no-untyped-def]
    base = ["--instance", str(instance.root), "--db", instance.db_url]
    result = CliRunner().invoke(app, [*base, "prove", "f" * 64])
    assert result.exit_code == 1
    assert "no record with id" in result.output


def test_check_passes_then_names_a_damaged_tile(app, instance) -> None:  # type: ignore[no-untyped-def]
    """``seawitness check`` runs the store's integrity check: exit 0 on a whole store, exit 1
    naming the tile after one stored hash is changed."""
    from sqlalchemy import update

    from seawitness.store import schema as s

    runner = CliRunner()
    base = ["--instance", str(instance.root), "--db", instance.db_url]
    ok = runner.invoke(app, [*base, "check"])
    assert ok.exit_code == 0, ok.output
    assert f"STORE OK {instance.store.tree_size():,} leaves" in ok.output
    with instance.store.transaction() as conn:
        data = (
            conn.execute(s.tiles.select().where(s.tiles.c.level == 0, s.tiles.c.idx == 0))
            .one()
            .data
        )
        damaged = bytes(data[:32]) + bytes(32) + bytes(data[64:])
        conn.execute(
            update(s.tiles).where(s.tiles.c.level == 0, s.tiles.c.idx == 0).values(data=damaged)
        )
    bad = runner.invoke(app, [*base, "check", "--json"])
    assert bad.exit_code == 1
    got = json.loads(bad.stdout)
    assert got["ok"] is False
    assert got["problems"] == [
        "tile tile/0/000 does not match the entries: hash 1 differs from the one "
        "recomputed from the stored leaves"
    ]


def test_the_example_mapping_is_signed_by_its_own_lab_not_another(
    app, instance, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """The shipped example file names ``EXAMPLE-LAB``: a KINS key may not sign it (the
    submission changes nothing), the lab's own key may, and so may KINS once an
    administrator has logged a ``publish-for`` grant."""
    examples = Path(__file__).parent.parent / "examples"
    runner = CliRunner()
    base = ["--instance", str(instance.root), "--db", instance.db_url]
    for sid in ("KINS", "EXAMPLE-LAB"):
        made = runner.invoke(app, ["keygen", sid, "--out", str(tmp_path)])
        assert made.exit_code == 0, made.output
        vkey = (tmp_path / f"{sid}.pub").read_text().strip()
        added = runner.invoke(
            app, [*base, "stakeholder", "add", sid, "--name", sid, "--kind", "lab", "--vkey", vkey]
        )
        assert added.exit_code == 0, added.output
    csv = str(examples / "lab_export.csv")
    mapping = ["--format", "csv", "--mapping", str(examples / "lab_export.toml")]

    def submit(sid: str) -> Any:
        return runner.invoke(
            app, [*base, "submit", csv, *mapping, "--key", str(tmp_path / f"{sid}.key")]
        )

    size = instance.store.tree_size()
    refused = submit("KINS")
    assert refused.exit_code == 1
    assert "'KINS' may not publish results for organisation 'EXAMPLE-LAB'" in refused.output
    assert instance.store.tree_size() == size
    accepted = submit("EXAMPLE-LAB")
    assert accepted.exit_code == 0, accepted.output
    assert "Accepted" in accepted.output
    granted = runner.invoke(
        app, [*base, "stakeholder", "grant", "KINS", "publish-for", "EXAMPLE-LAB"]
    )
    assert granted.exit_code == 0, granted.output
    again = submit("KINS")  # the same results again: refused now as duplicates, not as foreign
    assert again.exit_code == 1
    assert "may not publish" not in again.output and "already logged as leaf" in again.output
