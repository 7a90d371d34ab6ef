"""Export → re-import is lossless: the same records, byte for byte, on both backends."""

from __future__ import annotations

import csv
import functools
import hashlib
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from conftest import load_files
from seawitness.cli.main import cli
from seawitness.data import bundled_path
from seawitness.ingest.base import ReadResult
from seawitness.ingest.importer import import_results
from seawitness.ingest.readers import read_path
from seawitness.instance import Instance
from seawitness.model.canonical import canonical_bytes
from seawitness.store.records import record_of
from test_import import fresh_db_url


def _backend(db_url: str) -> str:
    return "postgresql" if db_url.startswith("postgresql") else "sqlite"


def _current(inst: Instance) -> dict[str, bytes]:
    """measurement record id -> canonical bytes, for every current measurement.

    The id is the SHA-256 of the measurement's canonical bytes; for a corrected version it
    is the replacement's (the index's ``record_id`` of that version names the correction).
    """
    rows = inst.store.measurements()
    datas = inst.store.entries_data([r["leaf_index"] for r in rows])
    out = {}
    for r in rows:
        body = canonical_bytes(record_of(datas[r["leaf_index"]]))
        if r["version"] == 1:
            assert r["record_id"] == hashlib.sha256(body).hexdigest()
        out[hashlib.sha256(body).hexdigest()] = body
    return out


@functools.cache
def _nra_measurements() -> list[ReadResult]:
    return list(read_path(bundled_path("nra", "close1F_water.xlsx"), "nra"))


def _nra_slice() -> list[ReadResult]:
    """The first 150 results of each sheet of the NRA workbook."""
    return [
        ReadResult(r.source, r.path, r.measurements[:150], r.stations) for r in _nra_measurements()
    ]


@pytest.fixture
def rich(instance: Instance, tmp_path: Path) -> Instance:
    """The small ORBS instance plus results with uncertainties, notes, reference dates and
    approximate limits (NRA fish with ±, a slice of the NRA workbook), and one revision."""
    load_files(instance, [next(bundled_path("orbs").rglob("Fishes_20_259.csv"))])
    import_results(
        instance.store, _nra_slice(), instance.demo_signer(), after_append=instance.checkpoint
    )
    # a later download that revises one value of Seawater_10_1.csv
    src = next(bundled_path("orbs").rglob("Seawater_10_1.csv"))
    lines = src.read_text(encoding="utf-8-sig").splitlines()
    assert lines[6].endswith(",,0.37,,0.24,-,-")
    lines[6] = lines[6].replace(",,0.37,", ",0.5,,")
    revised = tmp_path / "rev" / "Seawater_10_1.csv"
    revised.parent.mkdir()
    revised.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = load_files(instance, [revised])
    assert report.total("revised") == 1
    return instance


def _export(inst: Instance, *args: str) -> None:
    res = CliRunner().invoke(cli, ["--instance", str(inst.root), "export", *args])
    assert res.exit_code == 0, res.output


def test_export_reimport_gives_identical_records(rich: Instance, tmp_path: Path, db_url: str):
    out = tmp_path / "dump"
    _export(rich, "--format", "csv", "--out", str(out))
    assert {p.name for p in out.iterdir()} == {
        "measurements.csv",
        "stations.csv",
        "datapackage.json",
    }
    source = _current(rich)
    assert len(source) > 1000
    for url in fresh_db_url(_backend(db_url), tmp_path):
        fresh = Instance.create(tmp_path / "fresh", db_url=url, origin="test.local/copy")
        try:
            report = load_files(fresh, [out], "seawitness")
            assert report.total("new") == len(source)
            assert not report.rejected
            copy = _current(fresh)
            assert copy.keys() == source.keys()
            assert copy == source  # canonical bytes, not only ids
            # every version in the copy is a first version: the export holds current values
            assert {r["version"] for r in fresh.store.measurements()} == {1}
            # the stations came back with their coordinates
            stations = {(s["org"], s["code"]): s for s in fresh.store.stations()}
            orig = {(s["org"], s["code"]): s for s in rich.store.stations()}
            assert stations.keys() == orig.keys()
            for k, st in orig.items():
                assert (stations[k]["lat"], stations[k]["lon"]) == (st["lat"], st["lon"])
        finally:
            fresh.store.close()


def test_reimporting_the_export_into_its_own_log_adds_nothing(rich: Instance, tmp_path: Path):
    out = tmp_path / "all.csv"
    _export(rich, "--format", "csv", "--out", str(out))
    size = rich.store.tree_size()
    report = load_files(rich, [out], "seawitness")
    assert report.total("new") == report.total("revised") == 0
    assert report.total("unchanged") == rich.store.count()
    assert rich.store.tree_size() == size


def test_export_keeps_non_detects_as_limits(rich: Instance, tmp_path: Path):
    out = tmp_path / "m.csv"
    _export(rich, "--format", "csv", "--out", str(out), "--nuclide", "Cs-134")
    with out.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert rows and {r["nuclide"] for r in rows} == {"Cs-134"}
    below = [r for r in rows if r["detection"] == "<"]
    assert below and all(float(r["value"]) > 0 for r in below)
    assert all(r["sampled_at"].endswith("Z") for r in rows)
    assert "lat [degree]" in rows[0]
    revised = [r for r in rows if r["reason"] == "source revised"]
    assert len(revised) == 1 and revised[0]["value"] == "0.5" and revised[0]["detection"] == "="


def test_parquet_and_geojson(rich: Instance, tmp_path: Path):
    pq_path = tmp_path / "all.parquet"
    _export(rich, "--format", "parquet", "--out", str(pq_path))
    table = pq.read_table(pq_path)
    assert table.num_rows == rich.store.count()
    assert table.schema.field("value").type == "double"
    assert set(table.column("detection").to_pylist()) <= {"=", "<", "ND"}
    gj = tmp_path / "stations.geojson"
    _export(rich, "--format", "geojson", "--out", str(gj))
    doc = json.loads(gj.read_text(encoding="utf-8"))
    assert doc["type"] == "FeatureCollection"
    assert len(doc["features"]) == len(rich.store.stations())
    pts = [f for f in doc["features"] if f["geometry"]]
    lon, lat = pts[0]["geometry"]["coordinates"]
    assert 140 < lon < 142 and 36 < lat < 38


def test_datapackage_describes_the_tables(rich: Instance, tmp_path: Path):
    out = tmp_path / "pkg"
    _export(rich, "--format", "csv", "--out", str(out))
    pkg = json.loads((out / "datapackage.json").read_text(encoding="utf-8"))
    names = {r["name"]: r for r in pkg["resources"]}
    assert set(names) == {"measurements", "stations"}
    with (out / "measurements.csv").open(encoding="utf-8") as f:
        header = next(csv.reader(f))
    assert [x["name"] for x in names["measurements"]["schema"]["fields"]] == header
    assert pkg["seawitness_checkpoint"] == rich.store.latest_checkpoint_note()
