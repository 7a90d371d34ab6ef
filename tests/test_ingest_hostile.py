"""A source file that is not whole fails whole, before any row of it can revise a logged
result; a result for a new station gets its station record."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from conftest import small_orbs_paths
from seawitness.cli.main import cli
from test_trust_submit import lab  # noqa: F401 (a fixture)

SEAWATER = next(p for p in small_orbs_paths() if p.name == "Seawater_10_1.csv")


def _import(inst: Any, path: Path) -> Any:
    base = ["--instance", str(inst.root), "--db", inst.db_url]
    return CliRunner().invoke(cli, [*base, "import", str(path), "--format", "orbs"])


def _cut(tmp_path: Path, cut: bytes, tail: bytes) -> Path:
    """The bundled file, under its own name, with its last row replaced by ``cut``."""
    data = SEAWATER.read_bytes()
    body = data[: data.rstrip(b"\r\n").rfind(b"\r\n") + 2]
    out = tmp_path / "cut" / SEAWATER.name
    out.parent.mkdir(exist_ok=True)
    out.write_bytes(body + cut + tail)
    return out


@pytest.mark.parametrize(
    ("cut", "tail", "says"),
    [
        (b"2021/3/18 6:33,,0.59,,0.5", b"", "looks truncated"),  # mid-value, no line break
        (b"2021/3/18 6:33,,0.59,,0.5", b"\r\n", "fields"),  # mid-row, line break kept
        (b"2021/3/", b"", "looks truncated"),  # inside the date
        (b"2021/3/", b"\r\n", ""),  # inside the date, line break kept
    ],
    ids=["mid-value", "mid-row", "in-date", "in-date-newline"],
)
def test_a_cut_source_file_revises_nothing(
    instance: Any, tmp_path: Path, cut: bytes, tail: bytes, says: str
) -> None:
    """The issue's case: the last row cut to ``…,0.5`` (the source says 0.53) used to import
    with exit 0 as a signed "source revised" version 2. Now the file fails with its name and
    line, and the log, the index and the versions are as they were."""
    size, count = instance.store.tree_size(), instance.store.count()
    res = _import(instance, _cut(tmp_path, cut, tail))
    assert res.exit_code != 0, res.output
    assert SEAWATER.name in res.output and says in res.output
    assert "Traceback" not in res.output and "1 revised" not in res.output
    assert (instance.store.tree_size(), instance.store.count()) == (size, count)


def test_invalid_utf8_and_a_huge_line_are_named_not_tracebacks(
    instance: Any, tmp_path: Path
) -> None:
    size = instance.store.tree_size()
    bad = _cut(tmp_path, b"2021/3/18 6:33,,0.59,,0.5\xff3,-,-", b"\r\n")
    res = _import(instance, bad)
    assert res.exit_code != 0 and "UTF-8" in res.output and "utf-16" not in res.output
    huge = _cut(tmp_path, b"2021/3/18 6:33,," + b"9" * (50 * 1024 * 1024), b"\r\n")
    res = _import(instance, huge)
    assert res.exit_code != 0 and SEAWATER.name in res.output, res.output
    assert "Traceback" not in res.output
    assert instance.store.tree_size() == size


def test_a_result_for_a_new_station_gets_a_station_record(lab: Any) -> None:  # noqa: F811
    """``/api/v1/stations/KINS/KR-NEW`` used to be 404 while its results were listed."""
    from fastapi.testclient import TestClient

    from seawitness.app import create_app
    from test_trust_submit import _measurement

    inst, key = lab
    with inst.store.transaction() as conn:
        rec = _measurement(station="KR-NEW").to_dict()
        inst.submit_records(conn, key, "KINS", [("measurement", rec)])
        inst.checkpoint(conn)
    client = TestClient(create_app(inst, warm=False))
    got = client.get("/api/v1/stations/KINS/KR-NEW")
    assert got.status_code == 200, got.text
    assert got.json()["code"] == "KR-NEW"
