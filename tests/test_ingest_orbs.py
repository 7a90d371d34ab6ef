"""ORBS reader against the bundled raw download, counted independently of the reader.

The reference counts are made by a deliberately simple scan of the CSV text (csv module, a
few lines per file) and compared per organisation, nuclide and detection with what
``read_orbs`` produced. The organisation of a file comes straight from the station table
(``station_by_id.json``); files the table lacks are counted under "unlisted".
"""

from __future__ import annotations

import csv
import json
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from seawitness.data import bundled_path
from seawitness.ingest.base import IngestError
from seawitness.ingest.orbs import read_orbs, split_sample
from seawitness.ingest.readers import iter_files, read_path
from seawitness.model import Detection, Medium

ORBS = bundled_path("orbs")
TIDY = Path(__file__).parent / "data" / "orbs_tidy"


def _table_orgs() -> dict[int, str]:
    raw = json.loads((ORBS / "station_by_id.json").read_text(encoding="utf-8"))
    return {int(e["id"]): e["org"] for rows in raw.values() for e in rows}


def _file_id(p: Path) -> int:
    return int(p.stem.rsplit("_", 1)[1])


def _is_num(s: str) -> bool:
    try:
        float(s)
        return True
    except ValueError:
        return False


def count_seawater_by_hand() -> Counter[tuple[str, str, str]]:
    """(org, nuclide, '='|'<'|'na') counted straight from the CSV cells."""
    orgs = _table_orgs()
    out: Counter[tuple[str, str, str]] = Counter()
    for p in sorted((ORBS / "Seawater").glob("*.csv")):
        org = orgs.get(_file_id(p), "unlisted")
        rows = list(csv.reader(p.read_text(encoding="utf-8-sig").splitlines()))
        for h, hdr in enumerate(rows):
            if not hdr or hdr[0] != "Date and time of Sampling":
                continue
            labels, last = [], ""
            for cell in rows[h - 1]:
                last = cell or last
                labels.append(last)
            for row in rows[h + 1 :]:
                if not row or row[0] == "Date and time of Sampling":
                    break
                date = ""
                for j, kind in enumerate(hdr):
                    if kind == "Date and time of Sampling":
                        date = row[j]
                    elif kind == "Dt" and date not in ("", "-"):
                        dt, nd = row[j], row[j + 1]
                        tag = "=" if _is_num(dt) else "<" if _is_num(nd) else "na"
                        out[(org, labels[j], tag)] += 1
    return out


def count_biota_by_hand(folder: str) -> Counter[tuple[str, str, str, str]]:
    """(org, nuclide, unit, '='|'<'|'na') from the six-column biota rows."""
    orgs = _table_orgs()
    out: Counter[tuple[str, str, str, str]] = Counter()
    for p in sorted((ORBS / folder).glob("*.csv")):
        org = orgs.get(_file_id(p), "unlisted")
        for row in csv.reader(p.read_text(encoding="utf-8-sig").splitlines()):
            if len(row) < 6 or not row[0][:1].isdigit():
                continue
            dt, nd = row[3].split("±")[0], row[4]
            tag = "=" if _is_num(dt) else "<" if _is_num(nd) else "na"
            out[(org, row[2], row[5], tag)] += 1
    return out


@pytest.fixture(scope="module")
def seawater_results():
    return [read_orbs(p) for p in sorted((ORBS / "Seawater").glob("*.csv"))]


def _org_of(m) -> str:
    return "unlisted" if m.extra.get("station_table") == "missing" else m.org


def test_seawater_counts_match_independent_scan(seawater_results):
    expected = count_seawater_by_hand()
    got: Counter[tuple[str, str, str]] = Counter()
    for r in seawater_results:
        for m in r.measurements:
            got[(_org_of(m), m.nuclide, m.detection.value)] += 1
    na_by_hand = sum(v for (_, _, tag), v in expected.items() if tag == "na")
    assert got == Counter({k: v for k, v in expected.items() if k[2] != "na"})
    assert sum(r.not_analysed for r in seawater_results) == na_by_hand


def test_seawater_published_totals(seawater_results):
    """SOURCE.md: 79,100 seawater results (Cs-134 34,098, Cs-137 34,404, H-3 10,598)."""
    per_nuc = Counter(m.nuclide for r in seawater_results for m in r.measurements)
    assert sum(per_nuc.values()) == 79_100
    assert per_nuc == {"Cs-134": 34_098, "Cs-137": 34_404, "H-3": 10_598}
    assert len(seawater_results) == 182


@pytest.mark.parametrize(("folder", "medium"), [("Fishes", None), ("Seaweeds", Medium.SEAWEED)])
def test_biota_counts_match_independent_scan(folder, medium):
    expected = count_biota_by_hand(folder)
    got: Counter[tuple[str, str, str, str]] = Counter()
    na = 0
    for p in sorted((ORBS / folder).glob("*.csv")):
        r = read_orbs(p)
        na += r.not_analysed
        for m in r.measurements:
            got[(_org_of(m), m.nuclide, m.unit, m.detection.value)] += 1
            if medium is not None:
                assert m.medium == medium
    assert got == Counter({k: v for k, v in expected.items() if k[3] != "na"})
    assert na == sum(v for k, v in expected.items() if k[3] == "na")


def test_fish_totals_per_nuclide():
    """Row counts per nuclide in the raw fish files (values, limits and empty pairs)."""
    expected = count_biota_by_hand("Fishes")
    rows = Counter()
    for (_, nuc, _, _), v in expected.items():
        rows[nuc] += v
    assert rows == {"Cs-137": 20_108, "Cs-134": 20_104, "H-3:TFWT": 814, "H-3:OBT": 802,
                    "H-3": 331}  # fmt: skip


def test_times_are_jst_converted_to_utc():
    r = read_orbs(ORBS / "Seawater" / "Seawater_10_1.csv")
    first = r.measurements[0]
    assert first.station == "T-0" and first.org == "TEPCO"
    assert first.sampled_at == datetime(2026, 8, 18, 22, 5, tzinfo=UTC)  # 2026/8/19 7:05 JST
    assert first.source_tz == "Asia/Tokyo"
    assert first.depth == "Sea surface to a depth of 0.5 m"
    assert first.detection == Detection.BELOW_LIMIT and first.value == first.detection_limit
    assert "time_precision" not in first.extra
    st = r.stations[0]
    assert st.code == "T-0" and st.coords_known and st.name == "Harbor entrance (T-0)"


def test_date_only_is_midnight_jst_with_day_precision():
    r = read_orbs(ORBS / "Fishes" / "Fishes_20_256.csv")
    m = r.measurements[0]
    assert m.sampled_at == datetime(2026, 1, 27, 15, 0, tzinfo=UTC)  # 2026/01/28 00:00 JST
    assert m.extra["time_precision"] == "day"


def test_side_by_side_blocks_have_own_dates_and_depths():
    r = read_orbs(ORBS / "Seawater" / "Seawater_10_51.csv")
    depths = Counter(m.depth for m in r.measurements)
    assert set(depths) == {"表層水", "Sea surface water"}
    assert r.measurements[0].org == "Fukushima Pref."


def test_depth_in_metres_parsed():
    r = read_orbs(ORBS / "Seawater" / "Seawater_10_178.csv")
    assert {m.depth_m for m in r.measurements} >= {1.0, 90.0}


def test_station_table_typo_id_362_is_flagged():
    r = read_orbs(ORBS / "Seaweeds" / "Seaweeds_30_362.csv")
    st = r.stations[0]
    assert st.org == "MOE" and st.lat is None and st.lon is None and st.zone == "unknown"
    from seawitness.ingest.orbs import station_table

    assert any("id 362" in w for w in station_table().warnings)


def test_unlisted_file_is_kept_and_flagged():
    r = read_orbs(ORBS / "Seawater" / "Seawater_10_372.csv")
    assert r.measurements, "files missing from the station table must not be dropped"
    st = r.stations[0]
    assert st.code == "ORBS-372" and st.lat is None and st.zone == "unknown"
    assert r.measurements[0].extra["station_table"] == "missing"
    assert "org_inferred" in r.measurements[0].extra
    assert any("372" in w for w in r.warnings)


def test_identical_rows_become_replicates():
    r = read_orbs(ORBS / "Fishes" / "Fishes_20_371.csv")
    assert [m.replicate for m in r.measurements] == [0, 1]
    assert len({m.natural_key() for m in r.measurements}) == 2


def test_natural_keys_unique_over_whole_download():
    keys = Counter()
    for res in read_path(ORBS, "orbs"):
        keys.update(m.natural_key() for m in res.measurements)
    assert keys and max(keys.values()) == 1


def test_iter_files_lists_only_data_files():
    files = iter_files(ORBS, "orbs")
    assert len(files) == 235
    assert all(f.suffix == ".csv" and "station" not in f.name for f in files)


def test_uncertainty_after_plus_minus():
    r = read_orbs(ORBS / "Fishes" / "Fishes_20_368.csv")
    m = next(m for m in r.measurements if m.uncertainty is not None)
    assert m.nuclide == "Cs-137" and m.value == 0.48 and m.uncertainty == 0.014
    assert m.tissue == "meat" and m.species == "Marbled sole"
    assert m.basis.value == "wet" and m.unit == "Bq/kg-fresh"


def test_tritium_tissue_water_basis():
    r = read_orbs(ORBS / "Fishes" / "Fishes_20_256.csv")
    tfwt = [m for m in r.measurements if m.nuclide == "H-3:TFWT"]
    assert {(m.unit, m.basis.value) for m in tfwt} == {("Bq/L", "water"), ("Bq/kg-fresh", "wet")}


def test_split_sample_and_shellfish():
    assert split_sample("Flatfish (muscle)") == ("Flatfish", "muscle")
    assert split_sample("Alaska pollock(meat)") == ("Alaska pollock", "meat")
    assert split_sample("Ahnfeltiopsis paradoxa (Suringar) Masuda")[1] is None
    shell = [m for p in (ORBS / "Fishes").glob("*.csv") for m in read_orbs(p).measurements
             if m.medium == Medium.SHELLFISH]  # fmt: skip
    assert shell and all("crab" in (m.species or "").lower() or "Ovalipes" in (m.species or "")
                         for m in shell)  # fmt: skip


def test_both_filled_and_vertical_stacking(tmp_path):
    p = tmp_path / "Seawater_10_1.csv"
    p.write_text(
        "\ufeffFile Creation Date,2026-08-21\nSampling Location,Harbor entrance (T-0)\n\n"
        "Surface,,\n,H-3,\nDate and time of Sampling,Dt,ND\n2025/1/2 8:00,1.5,0.3\n\n"
        "Bottom,,\n,H-3,\nDate and time of Sampling,Dt,ND\n2025/1/2,,0.4\n2025/1/3,-,-\n",
        encoding="utf-8",
    )
    r = read_orbs(p)
    a, b = r.measurements
    assert (a.depth, a.detection, a.value, a.detection_limit) == ("Surface", Detection.DETECTED,
                                                                  1.5, 0.3)  # fmt: skip
    assert "orbs_note" in a.extra
    assert (b.depth, b.detection, b.value) == ("Bottom", Detection.BELOW_LIMIT, 0.4)
    assert r.not_analysed == 1


def test_tidy_extracts_detected_by_header():
    sw = read_orbs(TIDY / "seawater_data.csv")
    fish = read_orbs(TIDY / "fish_data.csv")
    weed = read_orbs(TIDY / "seaweed_data.csv")
    assert sw.measurements and fish.measurements and weed.measurements
    assert {m.medium for m in sw.measurements} == {Medium.SEAWATER}
    assert {m.medium for m in weed.measurements} == {Medium.SEAWEED}
    # the tidy extract repeats the table's typo for id 362: coordinates dropped, rows kept
    assert any("id 362" in w for w in weed.warnings)
    assert all(m.lat is None for m in weed.measurements if m.station == "ORBS-362")
    # independent count: filled value or _nd cells of the tidy seawater rows
    rows = list(csv.DictReader((TIDY / "seawater_data.csv").open(encoding="utf-8-sig")))
    filled = sum(1 for r in rows for n in ("Cs-134", "Cs-137", "H-3") if r[n] or r[f"{n}_nd"])
    assert len(sw.measurements) == filled


def test_not_an_orbs_file(tmp_path):
    p = tmp_path / "x.csv"
    p.write_text("hello,world\n", encoding="utf-8")
    with pytest.raises(IngestError, match="not an ORBS file"):
        read_orbs(p)


def test_reading_everything_is_fast():
    t = time.perf_counter()
    n = sum(len(r.measurements) for r in read_path(ORBS, "orbs"))
    elapsed = time.perf_counter() - t
    assert n > 120_000
    assert elapsed < 20, f"reading all ORBS files took {elapsed:.1f} s"
