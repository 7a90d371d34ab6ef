"""MARIS legacy dump and new CSV, compared with a plain csv count of the same files."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from seawitness.ingest.base import IngestError
from seawitness.ingest.maris import maris_nuclide, read_maris
from seawitness.ingest.readers import read_path
from seawitness.model import Basis, Detection, Medium

MARIS = Path(__file__).parent / "data" / "maris"
DUMP = MARIS / "maris_dump_fukushima" / "maris-dump-test.csv"
HELCOM = MARIS / "maris_csv_helcom_example"


def test_dump_counts_match_plain_csv():
    rows = [r for r in csv.DictReader(DUMP.open(encoding="utf-8")) if "/" not in r["nusymbol"]]
    by_symbol = Counter(r["nusymbol"] for r in rows)
    det = Counter(
        "ND" if r["detection"] == "ND" and not r["activity"]
        else "<" if r["detection"] in ("<", "ND") else r["detection"]
        for r in rows
    )  # fmt: skip
    r = read_maris(DUMP)
    assert len(r.measurements) == len(rows) == 98
    assert Counter(m.nuclide for m in r.measurements) == {
        maris_nuclide(s): n for s, n in by_symbol.items()
    }
    assert Counter(m.detection.value for m in r.measurements) == det
    assert any("ratio" in w for w in r.warnings)
    assert {m.unit for m in r.measurements} <= {"Bq/m3", "TU", "Bq/kg"}


def test_dump_record_fields():
    r = read_maris(DUMP)
    tepco = [m for m in r.measurements if m.org == "TEPCO"]
    assert tepco and all(m.source_tz == "UTC" for m in tepco)
    lt = [m for m in r.measurements if m.detection == Detection.BELOW_LIMIT]
    assert lt and all(m.value == m.detection_limit and m.uncertainty is None for m in lt)
    with_u = [m for m in r.measurements if m.uncertainty is not None]
    assert with_u and all(m.coverage_factor == 1.0 for m in with_u)


def test_symbols():
    assert maris_nuclide("239,240Pu") == "Pu-239+240"
    assert maris_nuclide("T-BETA") == "gross-beta"
    assert maris_nuclide("137Cs/134Cs") is None
    assert maris_nuclide("3H") == "H-3"


def test_new_csv_ids_resolved():
    sw = read_maris(HELCOM / "100_HELCOM_MORS_2024_SEAWATER.csv")
    assert {m.nuclide for m in sw.measurements} == {"Sr-90", "Cs-137", "Cs-134", "Pu-239+240"}
    assert all(m.unit == "Bq/m3" and m.basis == Basis.WATER for m in sw.measurements)
    biota = read_maris(HELCOM / "100_HELCOM_MORS_2024_BIOTA.csv")
    media = Counter(m.medium for m in biota.measurements)
    assert media[Medium.FISH] and media[Medium.SEAWEED] and media[Medium.SHELLFISH]
    assert {m.basis for m in biota.measurements} <= {Basis.WET, Basis.DRY}


def test_unknown_unit_in_sediment_is_an_error_or_rejected():
    p = HELCOM / "100_HELCOM_MORS_2024_SEDIMENT.csv"
    with pytest.raises(IngestError, match="unknown unit"):
        read_maris(p)
    r = read_maris(p, skip_invalid=True)
    assert r.rejected and r.measurements


def test_folder_read():
    results = list(read_path(MARIS / "maris_dump_fukushima", "maris"))
    assert len(results) == 16
    assert sum(len(r.measurements) for r in results) > 100
