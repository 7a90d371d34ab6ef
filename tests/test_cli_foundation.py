"""The foundation's commands through the CLI: import errors, --skip-invalid, query, stations."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from seawitness import __version__
from seawitness.cli.main import cli
from seawitness.data import bundled_path
from seawitness.instance import Instance
from test_store import snapshot

ORBS = bundled_path("orbs")


def run(inst: Instance, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--instance", str(inst.root), *args])


@pytest.fixture
def empty(tmp_path: Path, db_url: str):
    inst = Instance.create(tmp_path / "inst", db_url=db_url, origin="test.local/cli")
    yield inst
    inst.store.close()


def orbs_copy(tmp_path: Path, name: str, old: str, new: str) -> tuple[Path, int]:
    """A bundled ORBS file with one cell changed; returns the copy and the changed line."""
    text = next(ORBS.rglob(name)).read_text(encoding="utf-8-sig")
    assert old in text
    line = text[: text.index(old)].count("\n") + 1
    path = tmp_path / name
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path, line


MAPPING = """
[columns]
station = "Station"
sampled_at = "Date"
nuclide = "Nuclide"
value = "Value"
detection_limit = "DL"
unit = "Unit"
lat = "Lat"
lon = "Lon"
[constants]
org = "LAB"
medium = "seawater"
basis = "water"
source_tz = "Asia/Tokyo"
"""


def lab_csv(tmp_path: Path, bad: str) -> tuple[Path, Path]:
    m = tmp_path / "lab.toml"
    m.write_text(MAPPING, encoding="utf-8")
    f = tmp_path / "lab.csv"
    f.write_text(
        "Station,Date,Nuclide,Value,DL,Unit,Lat,Lon\n"
        "S1,2024-05-01 10:00,Cs-137,0.002,0.001,Bq/L,37.4,141.1\n"
        f"{bad}\n",
        encoding="utf-8",
    )
    return f, m


# (name, ORBS file, old text, new text, column in the message, what the message says)
ORBS_CASES = [
    ("unknown unit", "Fishes_20_267.csv", "6.8,Bq/kg-fresh", "6.8,Bq/cup", "Unit",
     "expected one of"),
    ("impossible date", "Seawater_10_1.csv", "2026/8/19 7:05", "2026/13/45 7:05",
     "Date and time of Sampling", "expected 1..12"),
    ("negative limit", "Seawater_10_1.csv", ",,0.37,", ",,-0.37,", "Cs-134 ND",
     "must be positive"),
    ("unknown nuclide", "Seawater_10_1.csv", ",Cs-134,", ",Xx-999,", "Cs-134",
     "expected a name like"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "file", "old", "new", "column", "says"), ORBS_CASES, ids=[c[0] for c in ORBS_CASES]
)
def test_bad_orbs_input(empty, tmp_path, name, file, old, new, column, says):
    path, line = orbs_copy(tmp_path, file, old, new)
    before = snapshot(empty)
    res = run(empty, "import", str(path), "--format", "orbs")
    assert res.exit_code == 1
    assert "Traceback" not in res.output and res.exception.__class__ is SystemExit
    # the unknown nuclide is reported at the nuclide row, the column by its header text
    where = f"{file}:{line}:" if name != "unknown nuclide" else f"{file}:{line}:Xx-999"
    assert where in res.output, res.output
    if name != "unknown nuclide":
        assert f"{file}:{line}:{column}" in res.output
    assert says in res.output
    assert snapshot(empty) == before  # every table, row for row: no entry, no checkpoint


LAB_CASES = [
    ("< without a limit", "S1,2024-05-01 10:00,Cs-137,<,,Bq/L,37.4,141.1", "DL",
     "without a limit"),
    ("coordinates outside the map", "S1,2024-05-01 10:00,Cs-137,0.1,,Bq/L,337.4,141.1", "Lat",
     "outside -90..90"),
    ("unknown unit", "S1,2024-05-01 10:00,Cs-137,0.1,,Bq/gallon,37.4,141.1", "Unit",
     "expected one of"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "row", "column", "says"), LAB_CASES, ids=[c[0] for c in LAB_CASES]
)
def test_bad_lab_csv(empty, tmp_path, name, row, column, says):
    f, m = lab_csv(tmp_path, row)
    res = run(empty, "import", str(f), "--format", "csv", "--mapping", str(m))
    assert res.exit_code == 1
    assert "Traceback" not in res.output
    assert f"lab.csv:3:{column}" in res.output, res.output
    assert says in res.output
    assert empty.store.count() == 0


def test_bad_native_row(empty, tmp_path):
    f = tmp_path / "export.csv"
    f.write_text(
        "org,station,medium,sampled_at,nuclide,detection,value,unit,basis\n"
        "LAB,S1,seawater,2024-05-01T01:00:00Z,Cs-137,<,,Bq/L,water\n",
        encoding="utf-8",
    )
    res = run(empty, "import", str(f), "--format", "seawitness")
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert "export.csv:2:value" in res.output
    assert "needs the detection limit" in res.output


def test_skip_invalid_imports_good_rows_and_writes_rejected(empty, tmp_path):
    text = next(ORBS.rglob("Seawater_10_1.csv")).read_text(encoding="utf-8-sig")
    lines = text.splitlines()
    lines[6] = lines[6].replace("2026/8/19", "2026/13/19")  # the whole row is rejected
    lines[8] = lines[8].replace(",", ",-", 2)  # first Dt/ND pair: "-" mixed with a value
    bad = tmp_path / "Seawater_10_1.csv"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "rejected.csv"
    res = run(
        empty, "import", str(bad), "--format", "orbs", "--skip-invalid", "--rejected", str(out)
    )
    assert res.exit_code == 0, res.output
    with out.open(encoding="utf-8") as f:
        rejected = list(csv.DictReader(f))
    assert [r["line"] for r in rejected] == ["7", "9"]
    assert all(r["file"] == "Seawater_10_1.csv" and r["reason"] and r["column"] for r in rejected)
    assert rejected[0]["column"] == "Date and time of Sampling"
    assert rejected[0]["row"] == lines[6]
    m = re.search(r"(\d+)\s+results\s+read,\s+(\d+)\s+new", res.output)
    assert m and m.group(1) == m.group(2)
    good = next(ORBS.rglob("Seawater_10_1.csv"))
    full = run(empty, "import", str(good), "--format", "orbs")
    assert full.exit_code == 0
    # the rows set aside come in with the good file: Cs-134 and Cs-137 of line 7 (its H-3 is
    # not analysed), the first pair of line 9
    assert re.search(r"\s3\s+new,\s+0\s+revised", full.output), full.output


def test_rejected_needs_skip_invalid(empty, tmp_path):
    res = run(empty, "import", str(ORBS / "Seawater"), "--format", "orbs", "--rejected", "x.csv")
    assert res.exit_code == 2 and "--skip-invalid" in res.output


def test_no_instance_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(cli, ["query"])
    assert res.exit_code == 1 and "seawitness init" in res.output


@pytest.mark.parametrize(
    ("args", "check"),
    [
        (["--station", "T-0"], lambda r: r["station"] == "T-0"),
        (["--nuclide", "137Cs"], lambda r: r["nuclide"] == "Cs-137"),
        (["--medium", "fish"], lambda r: r["medium"] == "fish"),
        (["--org", "TEPCO", "--nuclide", "H-3"],
         lambda r: (r["org"], r["nuclide"]) == ("TEPCO", "H-3")),
        (["--since", "2025-01-01", "--until", "2025-03-01"],
         lambda r: "2025-01-01" <= r["sampled_at"] < "2025-03-01"),
        (["--bbox", "141.0,37.40,141.05,37.43"],
         lambda r: 141.0 <= r["lon"] <= 141.05 and 37.40 <= r["lat"] <= 37.43),
    ],
    ids=["station", "nuclide", "medium", "org", "time", "bbox"],
)  # fmt: skip
def test_query_json(instance, args, check):
    res = run(instance, "query", *args, "--limit", "0", "--json")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["total"] == len(doc["results"]) > 0
    assert all(check(r) for r in doc["results"])
    everything = json.loads(run(instance, "query", "--limit", "0", "--json").stdout)
    assert doc["total"] < everything["total"]
    assert sum(check(r) for r in everything["results"]) == doc["total"]


def test_query_table_and_limit(instance):
    res = run(instance, "query", "--station", "T-0", "--limit", "5")
    assert res.exit_code == 0
    assert re.search(r"5 of \d+ results", res.output)


def test_query_bad_bbox_and_nuclide(instance):
    res = run(instance, "query", "--bbox", "1,2,3")
    assert res.exit_code == 2 and "min_lon,min_lat,max_lon,max_lat" in res.output
    res = run(instance, "query", "--nuclide", "Xx-1")
    assert res.exit_code == 2 and "unknown nuclide" in res.output


def test_query_history(instance, tmp_path):
    path, _ = orbs_copy(tmp_path, "Seawater_10_1.csv", ",,0.37,", ",0.41,,")
    assert run(instance, "import", str(path), "--format", "orbs").exit_code == 0
    args = ["query", "--station", "T-0", "--nuclide", "Cs-134", "--since", "2026-08-18T22:00:00"]
    args += ["--until", "2026-08-18T22:10:00", "--json"]
    cur = json.loads(run(instance, *args).stdout)["results"]
    hist = json.loads(run(instance, *args, "--history").stdout)["results"]
    assert [r["value"] for r in cur] == [0.41]
    assert sorted(r["version"] for r in hist) == [1, 2]


def test_stations(instance):
    res = run(instance, "stations", "--json")
    assert res.exit_code == 0
    rows = json.loads(res.stdout)
    t0 = next(r for r in rows if r["code"] == "T-0")
    assert t0["org"] == "TEPCO" and t0["n_results"] > 0 and t0["coords_known"]
    assert 37.4 < t0["lat"] < 37.5 and 141.0 < t0["lon"] < 141.1
    res = run(instance, "stations")
    assert res.exit_code == 0 and "T-0" in res.output


def test_import_reports_new_revised_unchanged(instance, tmp_path):
    path, _ = orbs_copy(tmp_path, "Seawater_10_1.csv", ",,0.37,", ",0.41,,")
    res = run(instance, "import", str(path), "--format", "orbs")
    assert res.exit_code == 0
    assert re.search(r"\s0\s+new,\s+1\s+revised\s+\(source\s+revised\)", res.output)


def test_version():
    res = CliRunner().invoke(cli, ["--version"])
    assert res.exit_code == 0 and __version__ in res.output


FOUNDATION = ["init", "import", "export", "query", "stations", "demo", "serve"]


@pytest.mark.parametrize("command", FOUNDATION)
def test_help_has_an_example(command):
    res = CliRunner().invoke(cli, [command, "--help"])
    assert res.exit_code == 0
    assert re.search(r"Examples?:\n\s+seawitness " + command, res.output), res.output


def test_top_level_help_shows_how_to_start():
    res = CliRunner().invoke(cli, ["--help"])
    assert res.exit_code == 0
    assert "seawitness demo" in res.output and "seawitness import" in res.output
