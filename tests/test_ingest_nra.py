"""NRA workbook reader, counted independently by scanning the cells with openpyxl."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import openpyxl
import pytest

from seawitness.data import bundled_path
from seawitness.ingest.base import IngestError
from seawitness.ingest.nra import parse_nra_number, read_nra
from seawitness.model import Detection

WORKBOOK = bundled_path("nra", "close1F_water.xlsx")


@pytest.fixture(scope="module")
def result():
    return read_nra(WORKBOOK)


def count_by_hand() -> Counter[tuple[str, str]]:
    """(header nuclide, 'ND' | 'value') for every filled concentration cell above the
    location block of every sheet."""
    wb = openpyxl.load_workbook(WORKBOOK, read_only=True, data_only=True)
    out: Counter[tuple[str, str]] = Counter()
    for ws in wb.worksheets:
        rows = list(ws.iter_rows(values_only=True))
        header = rows[1]
        for row in rows[2:]:
            if row[0] in ("Sampling point number", "試料採取地点番号"):
                break
            for j, h in enumerate(header):
                if h and "radioactivity concentration" in h and row[j] not in (None, ""):
                    out[(h.split(" radioactivity")[0], "ND" if row[j] == "ND" else "value")] += 1
    wb.close()
    return out


def test_counts_match_independent_scan(result):
    by_hand = count_by_hand()
    names = {"134Cs": "Cs-134", "137Cs": "Cs-137", "3H": "H-3", "Total beta": "gross-beta",
             "Total alpha": "gross-alpha", "131I": "I-131", "90Sr": "Sr-90"}  # fmt: skip
    got = Counter(
        (m.nuclide, "value" if m.detection == Detection.DETECTED else "ND")
        for m in result.measurements
    )
    for src, canon in names.items():
        for kind in ("ND", "value"):
            assert got[(canon, kind)] == by_hand[(src, kind)], (src, kind)
    # every filled concentration cell is a result, the single 99Mo one included
    assert len(result.measurements) == sum(by_hand.values())
    assert by_hand[("99Mo", "value")] == 1
    assert sum(m.nuclide == "Mo-99" for m in result.measurements) == 1


def test_published_counts(result):
    """SOURCE.md counts = filled concentration cells (value or 'ND') per nuclide."""
    per = Counter(m.nuclide for m in result.measurements)
    assert per["Cs-134"] == 12_472
    assert per["Cs-137"] == 12_472
    assert per["H-3"] == 3_927
    assert per["gross-beta"] == 6_944
    assert per["I-131"] == 5_779
    assert per["Sb-125"] == 644
    assert per["Sr-90"] == 294


def test_records(result):
    assert {m.org for m in result.measurements} == {"TEPCO"}
    assert all(m.extra["publisher"] == "NRA" for m in result.measurements)
    assert len(result.stations) == 11
    t01 = next(s for s in result.stations if s.code == "T-0-1")
    assert (t01.lat, t01.lon, t01.zone) == (37.43, 141.04, "outlet-3km")
    first = next(m for m in result.measurements if m.station == "T-0-1")
    # 2013-08-14 08:17 JST, 134Cs ND with limit 1.5
    assert first.sampled_at == datetime(2013, 8, 13, 23, 17, tzinfo=UTC)
    assert (first.nuclide, first.detection, first.value) == ("Cs-134", Detection.BELOW_LIMIT, 1.5)
    assert first.reference_date == first.sampled_at
    assert first.depth == "upper layer"
    keys = Counter(m.natural_key() for m in result.measurements)
    assert max(keys.values()) == 1


def test_approximate_and_range_limits(result):
    assert parse_nra_number("約6", "x") == (6.0, {"approximate": "true"})
    assert parse_nra_number("4～8", "x") == (8.0, {"range": "4-8"})
    assert parse_nra_number("約1.0～2.7", "x") == (2.7, {"approximate": "true", "range": "1.0-2.7"})
    approx = [m for m in result.measurements if "limit_range" in m.extra]
    assert approx and all(m.detection == Detection.BELOW_LIMIT for m in approx)


def test_plutonium_statistical_error_is_uncertainty(result):
    pu = [m for m in result.measurements if m.nuclide == "Pu-239+240" and m.uncertainty]
    assert pu and all(m.detection == Detection.DETECTED for m in pu)


def _workbook(tmp_path, rows):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "T-X"
    ws.append(["試料採取日", "試料採取時刻", "試料採取地点番号", "3H", "3H"])
    ws.append(["Sampling date", "Sampling time", "Sampling point number",
               "3H radioactivity concentration (Bq/L)", "3H detection limit (Bq/L)"])  # fmt: skip
    for r in rows:
        ws.append(r)
    p = tmp_path / "close1F_water.xlsx"
    wb.save(p)
    return p


def test_errors_name_sheet_row_and_header(tmp_path):
    p = _workbook(tmp_path, [["2020/1/2", "08:00", "T-1", "ND", -0.3]])
    with pytest.raises(IngestError) as e:
        read_nra(p)
    assert e.value.file == "close1F_water.xlsx[T-X]"
    assert e.value.line == 3
    assert e.value.column == "3H detection limit (Bq/L)"
    assert "positive" in e.value.reason


def test_skip_invalid_keeps_good_rows(tmp_path):
    p = _workbook(tmp_path, [["2020/13/45", "08:00", "T-1", 1.2, None],
                             ["2020/1/2", None, "T-1", "約6", None]])  # fmt: skip
    r = read_nra(p, skip_invalid=True)
    assert len(r.rejected) == 1 and "month 13" in r.rejected[0].reason
    assert r.rejected[0].raw.startswith("2020/13/45")
    (m,) = r.measurements
    assert m.value == 6.0 and m.extra["value_approximate"] == "true"
    assert m.extra["time_precision"] == "day"
