"""Generic lab CSV + TOML mapping, using the shipped example."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from seawitness.ingest.base import IngestError
from seawitness.ingest.generic import Mapping, read_generic
from seawitness.ingest.readers import read_path
from seawitness.model import Analysis, Detection

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
CSV = EXAMPLES / "lab_export.csv"
TOML = EXAMPLES / "lab_export.toml"


@pytest.fixture(scope="module")
def result():
    return read_generic(CSV, TOML)


def test_example_counts(result):
    # 8 data rows: 7 results, 1 "-" (not analysed)
    data_rows = [ln for ln in CSV.read_text(encoding="utf-8").splitlines()[2:] if ln.strip()]
    assert len(data_rows) == 8
    assert len(result.measurements) == 7
    assert result.not_analysed == 1
    assert {s.code for s in result.stations} == {"KX-01", "KX-02", "KX-03"}


def test_expanded_uncertainty_is_divided_by_k(result):
    h3 = result.measurements[0]
    assert (h3.nuclide, h3.value, h3.uncertainty, h3.coverage_factor) == ("H-3", 0.42, 0.04, 2.0)


def test_nondetect_forms(result):
    nd = result.measurements[2]  # "ND" with MDA 0.0009
    assert (nd.detection, nd.value, nd.detection_limit) == (Detection.BELOW_LIMIT, 0.0009, 0.0009)
    lt = result.measurements[3]  # "<0.10"
    assert (lt.detection, lt.value) == (Detection.BELOW_LIMIT, 0.1)
    assert lt.uncertainty is None


def test_time_zone_and_day_precision(result):
    first = result.measurements[0]
    assert first.sampled_at == datetime(2025, 9, 3, 0, 40, tzinfo=UTC)  # 09:40 Seoul
    assert first.source_tz == "Asia/Seoul"
    last = result.measurements[-1]
    assert last.nuclide == "Cs-137"  # written 137Cs
    assert last.extra == {"time_precision": "day"}
    assert last.sampled_at == datetime(2025, 9, 3, 15, 0, tzinfo=UTC)


def test_constants_and_analysis(result):
    assert {m.org for m in result.measurements} == {"EXAMPLE-LAB"}
    assert {m.lab for m in result.measurements} == {"Example Radioanalytical Laboratory"}
    rapid = [m for m in result.measurements if m.analysis == Analysis.RAPID]
    assert len(rapid) == 1 and rapid[0].note == "screening count"
    assert all(m.sample_id for m in result.measurements)


def test_read_path_needs_mapping():
    with pytest.raises(ValueError, match="mapping"):
        list(read_path(CSV, "csv"))
    (r,) = list(read_path(CSV, "csv", mapping=TOML))
    assert len(r.measurements) == 7


def test_mapping_rejects_typos(tmp_path):
    bad = tmp_path / "m.toml"
    bad.write_text('[columns]\nnuclid = "Nuclide"\nvalue = "Result"\n', encoding="utf-8")
    with pytest.raises(IngestError, match="nuclid"):
        Mapping.load(bad)
    bad.write_text("[colums]\n", encoding="utf-8")
    with pytest.raises(IngestError, match="unknown section"):
        Mapping.load(bad)


def test_missing_column_named(tmp_path):
    m = tmp_path / "m.toml"
    m.write_text(
        '[columns]\nnuclide = "Nuc"\nvalue = "Val"\nsampled_at = "When"\nunit = "U"\n'
        '[constants]\norg = "X"\nstation = "S"\nmedium = "seawater"\n',
        encoding="utf-8",
    )
    f = tmp_path / "d.csv"
    f.write_text("Nuc,Val,When\nH-3,1,2024-01-01\n", encoding="utf-8")
    with pytest.raises(IngestError, match="'U'"):
        read_generic(f, m)
