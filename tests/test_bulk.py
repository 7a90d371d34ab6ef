"""Bulk files: the same bytes as the streamed download, named by checkpoint, served as
files, and never half-written (seawitness.export.bulk, api/bulk_routes)."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from conftest import load_files
from seawitness.app import create_app
from seawitness.cli.main import cli
from seawitness.data import bundled_path
from seawitness.export import bulk
from seawitness.export.stream import csv_chunks, parquet_chunks
from seawitness.store import schema as s
from seawitness.store.select import snapshot
from seawitness.store.store import Query


def _one_more_file(inst: Any) -> None:
    """Log another real ORBS file, so the tree grows."""
    load_files(inst, [next(bundled_path("orbs").rglob("Seawater_10_2.csv"))])


def test_the_files_hold_the_streamed_bytes_of_their_checkpoint(instance: Any) -> None:
    engine = instance.store.engine
    want_csv = b"".join(csv_chunks(engine, Query(), batch=300))
    want_table = pq.read_table(pa.BufferReader(b"".join(parquet_chunks(engine, Query()))))
    built = bulk.build(instance.store, instance.bulk_dir)
    size = instance.store.tree_size()
    root = instance.store.latest_checkpoint_note().splitlines()[2]  # base64 root hash
    by_fmt = {b.format: b for b in built}
    assert set(by_fmt) == {"csv", "parquet"}
    for bf in built:
        data = (instance.bulk_dir / bf.name).read_bytes()
        assert bf.tree_size == size and bf.rows == instance.store.count() > 100
        assert bytes.fromhex(bf.root_hash) == base64.b64decode(root)
        assert bf.name == f"measurements-{size}-{bf.root_hash[:8]}.{bf.format}"
        assert bf.sha256 == hashlib.sha256(data).hexdigest() and bf.bytes == len(data)
        assert bf.checkpoint == instance.store.latest_checkpoint_note()
    assert (instance.bulk_dir / by_fmt["csv"].name).read_bytes() == want_csv
    got = pq.read_table(instance.bulk_dir / by_fmt["parquet"].name)
    assert got.equals(want_table)
    # what sha256sum --check reads
    (instance.bulk_dir / "SUMS").write_text(bulk.sha256sums(bulk.listing(instance.bulk_dir)))
    subprocess.run(["sha256sum", "--check", "--quiet", "SUMS"], cwd=instance.bulk_dir, check=True)


def test_a_bulk_file_reads_the_table_in_storage_order_and_sorts_it(tmp_path: Path) -> None:
    from seawitness.export.stream import _columns
    from seawitness.store.select import ordered, selection, sorted_scan
    from seawitness.store.store import Store

    store = Store.open(str(tmp_path / "plan.db"))
    plans = {}
    for name, stmt in (
        ("index", ordered(selection(Query(), _columns("sqlite", True)), Query())),
        ("scan", sorted_scan(selection(Query(), _columns("sqlite", True)), Query(), "sqlite")),
    ):
        sql = str(stmt.compile(store.engine, compile_kwargs={"literal_binds": True}))
        with store.engine.connect() as c:
            plans[name] = [r[-1] for r in c.exec_driver_sql("EXPLAIN QUERY PLAN " + sql)]
    assert "SCAN measurements USING INDEX ix_measurements_time" in plans["index"]
    assert "SCAN measurements" in plans["scan"] and "USE TEMP B-TREE FOR ORDER BY" in plans["scan"]
    store.close()


def test_a_snapshot_does_not_see_what_is_logged_after_it_began(instance: Any) -> None:
    count = select(func.count()).select_from(s.measurements)
    with snapshot(instance.store.engine) as conn:
        before = conn.execute(count).scalar_one()
        _one_more_file(instance)  # another connection commits meanwhile
        assert conn.execute(count).scalar_one() == before
    assert instance.store.count(Query(history=True)) > before


def test_a_file_cut_short_is_never_listed_or_served(
    instance: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing(*a: Any, **kw: Any) -> Any:
        yield b"leaf_index,"
        raise OSError("disk full")

    monkeypatch.setitem(bulk.FORMATS, "csv", ("csv", "text/csv", failing))
    with pytest.raises(OSError, match="disk full"):
        bulk.build(instance.store, instance.bulk_dir, ("csv",))
    assert list(instance.bulk_dir.iterdir()) == []
    # what a build killed half-way leaves (no exception handler ran) is swept later
    dead = instance.bulk_dir / ".measurements-9-00000000.csv.x1.partial"
    dead.write_bytes(b"leaf_index,")
    os.utime(dead, (0, 0))
    fresh = instance.bulk_dir / ".measurements-9-00000000.csv.x2.partial"
    fresh.write_bytes(b"leaf_index,")  # another build's, still being written
    monkeypatch.undo()
    bulk.build(instance.store, instance.bulk_dir, ("csv",))
    assert not dead.exists() and fresh.exists()
    fresh.unlink()
    for p in instance.bulk_dir.iterdir():
        p.unlink()
    # a data file without its description (a crash between the two) is not listed
    (instance.bulk_dir / "measurements-5-00000000.csv").write_bytes(b"x")
    assert bulk.listing(instance.bulk_dir) == []
    client = TestClient(create_app(instance, warm=False))
    assert client.get("/api/v1/bulk/measurements-5-00000000.csv").status_code == 404


def test_the_api_redirects_the_whole_dataset_to_the_file_of_its_checkpoint(
    instance: Any,
) -> None:
    client = TestClient(create_app(instance, warm=False))
    live = client.get("/api/v1/measurements?format=csv")
    assert live.status_code == 200 and "location" not in live.headers
    assert client.get("/api/v1/bulk").json() == {"files": []}
    bulk.build(instance.store, instance.bulk_dir)
    for fmt in ("csv", "parquet"):
        r = client.get(f"/api/v1/measurements?format={fmt}", follow_redirects=False)
        assert r.status_code == 307
        assert r.headers["location"].startswith("/api/v1/bulk/measurements-")
        got = client.get(r.headers["location"])
        assert got.status_code == 200
        digest = hashlib.sha256(got.content).digest()
        assert got.headers["repr-digest"] == f"sha-256=:{base64.b64encode(digest).decode()}:"
        assert got.headers["etag"] == f'"{digest.hex()}"'
        assert "immutable" in got.headers["cache-control"]
        assert got.headers["x-seawitness-tree-size"] == str(instance.store.tree_size())
        if fmt == "csv":
            assert got.content == live.content
    # a filtered download, or one with a limit, streams from the index as before
    for q in ("format=csv&nuclide=H-3", "format=csv&limit=5", "format=ndjson"):
        assert client.get(f"/api/v1/measurements?{q}", follow_redirects=False).status_code == 200
    listed = client.get("/api/v1/bulk").json()["files"]
    assert [f["format"] for f in listed] == ["csv", "parquet"]
    assert listed[0]["url"].endswith(r.headers["location"].replace(".parquet", ".csv"))
    sums = client.get("/api/v1/bulk/SHA256SUMS").text.splitlines()
    assert [line.split("  ")[1] for line in sums] == [f["name"] for f in listed]
    # a new checkpoint: the file no longer holds the whole dataset, so it streams again
    _one_more_file(instance)
    after = client.get("/api/v1/measurements?format=csv", follow_redirects=False)
    assert after.status_code == 200
    assert after.content.count(b"\n") > live.content.count(b"\n")


def test_a_bulk_file_is_sent_in_ranges_and_unknown_names_are_404(instance: Any) -> None:
    bf = bulk.build(instance.store, instance.bulk_dir, ("csv",))[0]
    client = TestClient(create_app(instance, warm=False))
    whole = (instance.bulk_dir / bf.name).read_bytes()
    head = client.head(f"/api/v1/bulk/{bf.name}")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == str(len(whole))
    part = client.get(f"/api/v1/bulk/{bf.name}", headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == whole[100:200]
    # the file is sent as it is on disk, never gzipped on the way (ranges and digest
    # are of those bytes)
    r = client.get(f"/api/v1/bulk/{bf.name}", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in r.headers and r.content == whole
    for name in ("nope.csv", f"{bf.name}.json", "..%2Fseawitness.toml", ".."):
        r = client.get(f"/api/v1/bulk/{name}")
        assert r.status_code == 404, name
        if r.headers["content-type"].startswith("application/json"):
            assert r.json()["error"] == "not_found"


def test_prune_keeps_the_newest_checkpoints(instance: Any) -> None:
    first = bulk.build(instance.store, instance.bulk_dir, ("csv",))
    assert bulk.build(instance.store, instance.bulk_dir, ("csv",)) == first  # not rebuilt
    _one_more_file(instance)
    second = bulk.build(instance.store, instance.bulk_dir, ("csv",))
    assert second[0].tree_size > first[0].tree_size
    assert [b.name for b in bulk.listing(instance.bulk_dir)] == [second[0].name, first[0].name]
    assert bulk.prune(instance.bulk_dir, 1) == [first[0].name]
    assert sorted(p.name for p in instance.bulk_dir.iterdir()) == [
        second[0].name,
        f"{second[0].name}.json",
    ]


def test_the_bulk_command_builds_and_lists(instance: Any, tmp_path: Path) -> None:
    runner = CliRunner()
    args = ["--instance", str(instance.root), "--db", instance.db_url, "bulk"]
    r = runner.invoke(cli, [*args, "--list"])
    assert r.exit_code == 0 and "No bulk files yet" in r.output
    r = runner.invoke(cli, [*args, "--format", "parquet"])
    assert r.exit_code == 0, r.output
    assert "Ready" in r.output and ".parquet" in r.output
    r = runner.invoke(cli, [*args, "--list"], env={"COLUMNS": "200"})
    assert r.exit_code == 0
    desc = json.loads(next(instance.bulk_dir.glob("*.parquet.json")).read_text())
    assert desc["sha256"] in r.output and str(desc["rows"]) in r.output
    r = runner.invoke(cli, [*args, "--format", "xlsx"])
    assert r.exit_code == 2 and "xlsx" in r.output


@pytest.mark.parametrize(
    ("lang", "title"),
    [
        ("en", "The whole data set, as files"),
        ("ja", "データ全体のファイル"),
        ("zh", "整个数据集文件"),
        ("ko", "전체 데이터 파일"),
    ],
)
def test_the_data_page_lists_the_bulk_files_with_their_digests(
    instance: Any, lang: str, title: str
) -> None:
    client = TestClient(create_app(instance, warm=False))
    assert "bulk-files" not in client.get(f"/data?lang={lang}").text  # none built yet
    built = bulk.build(instance.store, instance.bulk_dir)
    page = client.get(f"/data?lang={lang}").text
    assert title in page
    for bf in built:
        assert f'href="/api/v1/bulk/{bf.name}"' in page and bf.sha256 in page
        assert f"{bf.rows:,}" in page


def test_two_builds_at_once_leave_one_correct_file(instance: Any) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(2) as pool:
        runs = list(pool.map(lambda _: bulk.build(instance.store, instance.bulk_dir), range(2)))
    assert [b.name for b in runs[0]] == [b.name for b in runs[1]]
    for bf in bulk.listing(instance.bulk_dir):
        data = (instance.bulk_dir / bf.name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == bf.sha256 and len(data) == bf.bytes
    assert not list(instance.bulk_dir.glob(".*"))
