"""Every kind of bad input stops the import with file:line:column and a clear message,
or, with skip_invalid, lands in ``rejected`` with the raw row while the rest is read."""

from __future__ import annotations

from pathlib import Path

import pytest

from seawitness.ingest.base import IngestError
from seawitness.ingest.readers import FORMATS, read_path

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
HEADER = "Station,Date,Nuclide,Value,DL,Unit,Lat,Lon"
GOOD = "S1,2024-05-01 10:00,Cs-137,0.002,0.001,Bq/L,37.4,141.1"


def _csv(tmp_path: Path, bad_row: str) -> tuple[Path, Path]:
    m = tmp_path / "map.toml"
    m.write_text(MAPPING, encoding="utf-8")
    f = tmp_path / "lab.csv"
    f.write_text(f"{HEADER}\n{GOOD}\n{bad_row}\n{GOOD.replace('S1', 'S2')}\n", encoding="utf-8")
    return f, m


CASES = [
    ("unknown unit", "S1,2024-05-01,Cs-137,0.1,,Bq/gallon,37.4,141.1", "Unit", "unknown unit"),
    ("impossible month/day", "S1,2023/13/45,Cs-137,0.1,,Bq/L,37.4,141.1", "Date", "month 13"),
    ("impossible day", "S1,2023/02/30,Cs-137,0.1,,Bq/L,37.4,141.1", "Date", "impossible date"),
    ("year 1850", "S1,1850-06-01,Cs-137,0.1,,Bq/L,37.4,141.1", "Date", "year 1850"),
    ("negative limit", "S1,2024-05-01,Cs-137,ND,-0.3,Bq/L,37.4,141.1", "DL", "positive"),
    ("negative limit in value", "S1,2024-05-01,Cs-137,<-0.3,,Bq/L,37.4,141.1", "Value",
     "positive"),
    ("< without a limit", "S1,2024-05-01,Cs-137,<,,Bq/L,37.4,141.1", "DL", "without a limit"),
    ("coordinates outside", "S1,2024-05-01,Cs-137,0.1,,Bq/L,337.4,141.1", "Lat", "outside"),
    ("unknown nuclide", "S1,2024-05-01,Xx-999,0.1,,Bq/L,37.4,141.1", "Nuclide",
     "unknown nuclide"),
    ("non-numeric value", "S1,2024-05-01,Cs-137,about 3,,Bq/L,37.4,141.1", "Value",
     "not a number"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "row", "column", "message"), CASES, ids=[c[0] for c in CASES])
def test_generic_csv_errors(tmp_path, name, row, column, message):
    f, m = _csv(tmp_path, row)
    with pytest.raises(IngestError) as e:
        list(read_path(f, "csv", mapping=m))
    assert (e.value.file, e.value.line, e.value.column) == ("lab.csv", 3, column)
    assert message in e.value.reason
    assert str(e.value).startswith(f"lab.csv:3:{column}: ")
    (r,) = list(read_path(f, "csv", mapping=m, skip_invalid=True))
    assert [x.line for x in r.rejected] == [3]
    assert r.rejected[0].raw == row
    assert len(r.measurements) == 2


ORBS_HEAD = (
    "\ufeffFile Creation Date,2026-08-21\nSampling Location,\n\nSurface layer,,,,\n"
    ",Cs-137,,H-3,\nDate and time of Sampling,Dt,ND,Dt,ND\n"
)
# An ORBS row holds several results (nuclides, side-by-side blocks): a bad date rejects
# the block's row, a bad cell only that result, so the other nuclide of the row is kept.
ORBS_CASES = [
    ("impossible date", "2023/13/45 7:00,,0.3,,0.3", "Date and time of Sampling", "month 13", 2),
    ("year 1850", "1850/1/1 7:00,,0.3,,0.3", "Date and time of Sampling", "year 1850", 2),
    ("negative limit", "2024/1/1 7:00,,-0.3,,0.3", "Cs-137 ND", "positive", 3),
    ("non-numeric value", "2024/1/1 7:00,high,,,0.3", "Cs-137 Dt", "not a number", 3),
]


@pytest.mark.parametrize(("name", "row", "column", "message", "kept"), ORBS_CASES,
                         ids=[c[0] for c in ORBS_CASES])  # fmt: skip
def test_orbs_errors(tmp_path, name, row, column, message, kept):
    p = tmp_path / "Seawater_10_1.csv"
    p.write_text(ORBS_HEAD + "2024/1/2 7:00,,0.3,,0.3\n" + row + "\n", encoding="utf-8")
    with pytest.raises(IngestError) as e:
        list(read_path(p, "orbs"))
    assert (e.value.line, e.value.column) == (8, column)
    assert message in e.value.reason
    (r,) = list(read_path(p, "orbs", skip_invalid=True))
    assert r.rejected and r.rejected[0].raw == row
    assert len(r.measurements) == kept


def test_orbs_unknown_nuclide_in_header(tmp_path):
    p = tmp_path / "Seawater_10_1.csv"
    p.write_text(ORBS_HEAD.replace("H-3", "Xx-9") + "2024/1/2 7:00,,0.3,,0.3\n", "utf-8")
    with pytest.raises(IngestError, match="unknown nuclide"):
        list(read_path(p, "orbs"))


def test_orbs_unknown_unit(tmp_path):
    p = tmp_path / "Fishes_20_256.csv"
    p.write_text(
        "\ufeffFile Creation Date,2026-08-21\nSampling Location,\n\n"
        "Date and time of Sampling,Sample,Radionuclide,Dt,ND,Unit\n"
        "2024/01/02,Olive flounder,Cs-137,,0.3,Bq/gallon\n",
        encoding="utf-8",
    )
    with pytest.raises(IngestError) as e:
        list(read_path(p, "orbs"))
    assert e.value.column == "Unit" and "unknown unit" in e.value.reason


MARIS_HEADER = (
    "sample_id,samptype,latitude,longitude,begperiod,station,nusymbol,detection,activity,unit"
)
MARIS_CASES = [
    ("< without a limit", "2,Seawater,37.4,141.1,2021-01-01 00:00:00.000,T-1,137Cs,<,,Bq/m3",
     "activity", "without a limit"),
    ("coordinates outside", "2,Seawater,37.4,541.1,2021-01-01 00:00:00.000,T-1,137Cs,=,5,Bq/m3",
     "longitude", "outside"),
    ("unknown unit", "2,Seawater,37.4,141.1,2021-01-01 00:00:00.000,T-1,137Cs,=,5,Bq/pint",
     "unit", "unknown unit"),
    ("year 1850", "2,Seawater,37.4,141.1,1850-01-01 00:00:00.000,T-1,137Cs,=,5,Bq/m3",
     "begperiod", "year 1850"),
    ("unknown nuclide", "2,Seawater,37.4,141.1,2021-01-01 00:00:00.000,T-1,999Qq,=,5,Bq/m3",
     "nusymbol", "unknown nuclide"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "row", "column", "message"), MARIS_CASES,
                         ids=[c[0] for c in MARIS_CASES])  # fmt: skip
def test_maris_errors(tmp_path, name, row, column, message):
    p = tmp_path / "maris.csv"
    good = "1,Seawater,37.4,141.1,2021-01-01 00:00:00.000,T-1,137Cs,=,5,Bq/m3"
    p.write_text(f"{MARIS_HEADER}\n{good}\n{row}\n", encoding="utf-8")
    with pytest.raises(IngestError) as e:
        list(read_path(p, "maris"))
    assert (e.value.line, e.value.column) == (3, column)
    assert message in e.value.reason
    (r,) = list(read_path(p, "maris", skip_invalid=True))
    assert len(r.measurements) == 1 and r.rejected[0].raw == row


def test_unknown_format():
    assert set(FORMATS) == {"orbs", "nra", "maris", "csv", "seawitness"}
    with pytest.raises(ValueError, match="unknown format"):
        list(read_path(Path("."), "xml"))
