"""Before/after comparison against the pre-discharge baseline (seawitness.analysis.baseline).

Real data: the NRA workbook ``close1F_water.xlsx`` (TEPCO's seawater results near
Fukushima Daiichi, 2011-03 .. 2023-04, published by the Nuclear Regulation Authority) and
the ORBS files of the same ten stations (TEPCO results 2021 .. 2026, republished by the
ORBS portal), both bundled. Only tritium is imported, to keep the fixture at a few seconds
per backend; the workbook is read once per test session and the instance is built once
per backend for the module (about 20 s in all on both backends).
"""

from __future__ import annotations

import dataclasses
import functools
import statistics
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from seawitness.analysis import baseline as bl
from seawitness.analysis.from_store import current_measurements
from seawitness.data import bundled_path
from seawitness.ingest.base import ReadResult
from seawitness.ingest.importer import import_results
from seawitness.ingest.readers import read_path
from seawitness.model import Basis, Detection, Measurement, Medium
from seawitness.store.store import Query

# ORBS file ids of TEPCO's ten points near the outlet (orbs/station_by_id.json).
ORBS_OUTLET_IDS = range(2, 12)
OUTLET = ("T-0-1", "T-0-1A", "T-0-2", "T-0-3", "T-0-3A", "T-1", "T-2", "T-A1", "T-A2", "T-A3")


@functools.cache
def _tritium_results() -> tuple[ReadResult, ...]:
    nra = read_path(bundled_path("nra", "close1F_water.xlsx"), "nra")
    orbs_root = bundled_path("orbs")
    orbs = [
        r
        for i in ORBS_OUTLET_IDS
        for r in read_path(next(orbs_root.rglob(f"Seawater_10_{i}.csv")), "orbs")
    ]
    return tuple(
        dataclasses.replace(r, measurements=[m for m in r.measurements if m.nuclide == "H-3"])
        for r in [*nra, *orbs]
    )


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def harbour(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """An instance with the tritium results of the NRA workbook and ORBS (outlet zone).

    Built once per backend for this module (the tests only read it).
    """
    from conftest import _PG_REASON, PG_URL
    from seawitness.instance import Instance

    root = tmp_path_factory.mktemp("harbour")
    schema = None
    if request.param == "sqlite":
        url = str(root / "test.db")
    else:
        if _PG_REASON:
            pytest.skip(_PG_REASON)
        import psycopg

        schema = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        sep = "&" if "?" in PG_URL else "?"
        url = f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    inst = Instance.create(root / "inst", db_url=url, origin="test.local/seawitness")
    try:
        import_results(
            inst.store, list(_tritium_results()), inst.demo_signer(), after_append=inst.checkpoint
        )
        yield inst
    finally:
        inst.store.close()
        if schema is not None:
            import psycopg

            with psycopg.connect(PG_URL, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def test_t01a_pre_discharge_tritium_is_mostly_non_detect(harbour) -> None:  # type: ignore[no-untyped-def]
    """T-0-1A, tritium, baseline 2020-01-01 .. discharge start (NRA workbook + ORBS).

    Before: 188 results, 7 detected (0.83-1.3 Bq/L), 96 % non-detects, so no KM summary
    (Helsel's 80 % rule). After: 168 results, 56 detected, KM summary available; the
    largest, 52 Bq/L on 2025-08-10 (JST 2025-08-11 07:04), is an ORBS result.
    """
    r = bl.station_baseline(harbour.store, "T-0-1A", "H-3")
    assert r.unit == "Bq/L"
    b, a = r.before, r.after
    assert (b.n, b.n_detected) == (188, 7)
    assert b.percent_censored is not None and b.percent_censored > 90
    assert b.summary is None and b.refusal and "80 %" in b.refusal
    assert (b.detected_min, b.detected_max) == (0.83, 1.3)
    assert (a.n, a.n_detected) == (168, 56)
    assert a.summary is not None and a.summary.method == "km"
    assert a.summary.mean == pytest.approx(2.549, abs=0.001)
    top = r.largest[0]
    assert (top.value, top.time.date(), top.source) == (
        52.0,
        datetime(2025, 8, 10).date(),
        "orbs:Seawater_10_5.csv",
    )
    assert [o.value for o in r.largest] == sorted((o.value for o in r.largest), reverse=True)
    # Both publications hold 105 identical T-0-1A results (2021-03 .. 2023-03): kept once.
    assert r.duplicates_removed == 105
    assert set(r.sources) == {"nra:close1F_water", "orbs:Seawater_10_5.csv"}
    assert r.test is not None and r.test.p < 1e-6
    assert r.direction == "higher after"
    assert r.trend is not None and r.trend.method == "akritas-theil-sen"
    assert r.trend.n == 168


def test_pre_discharge_detects_reproduce_the_nra_workbook_figures(harbour) -> None:  # type: ignore[no-untyped-def]
    """Detected tritium at the ten outlet points, 2020-01-01 to the end of the workbook.

    Source: NRA workbook close1F_water.xlsx (TEPCO results): n = 160 detects ranging
    0.31-2.8 Bq/L, median ~1.0 Bq/L (0.985). Adding ORBS (de-duplicated) brings 36 more
    detects, among them 2023 low-level results down to 0.047 Bq/L that the workbook copy
    (ending 2023-04) does not hold.
    """
    ms = current_measurements(harbour.store, Query(nuclide="H-3"))
    since, start = bl.DEFAULT_BASELINE_SINCE, bl.DISCHARGE_START
    pre = [m for m in ms if m.station in OUTLET and since <= m.sampled_at < start]
    nra = [
        m.value
        for m in pre
        if m.source == "nra:close1F_water" and m.detection is Detection.DETECTED
    ]
    assert len(nra) == 160
    assert (min(nra), max(nra)) == (0.31, 2.8)
    assert statistics.median(nra) == pytest.approx(1.0, abs=0.02)
    obs, unit, _, dups, _ = bl.observations(pre)
    det = [o.value for o in obs if not o.censored]
    assert unit == "Bq/L" and dups > 0
    assert len(det) == 196 and min(det) == 0.047 and max(det) == 2.8


def test_outlet_zone_before_after(harbour) -> None:  # type: ignore[no-untyped-def]
    z = bl.zone_baseline(harbour.store, "outlet-3km", "H-3")
    # T-2-1 (workbook only, last sampled before 2020) has nothing in the compared periods.
    assert tuple(s.scope for s in z.stations) == OUTLET
    p = z.pooled
    assert p.before.summary is None and p.before.percent_censored is not None
    assert p.before.percent_censored > 80
    assert (p.after.n, p.after.n_detected) == (1784, 617)
    assert p.after.summary is not None
    assert p.after.summary.mean == pytest.approx(0.570, abs=0.001)
    assert p.after.detected_max == 52.0
    assert p.trend is not None and p.trend.method == "regional-kendall"
    assert sum(s.trend.S for s in z.stations if s.trend) == p.trend.S
    assert p.trend.n == p.after.n
    # T-1 had the most pre-discharge detects; it is the one station lower after.
    by = {s.scope: s for s in z.stations}
    assert by["T-1"].direction == "lower after"
    assert by["T-0-1A"].direction == "higher after"
    assert any("pooled over stations" in n for n in p.notes)


def test_all_pre_discharge_results_with_baseline_since_none(harbour) -> None:  # type: ignore[no-untyped-def]
    r = bl.station_baseline(harbour.store, "T-0-1A", "H-3", baseline_since=None)
    assert r.before.first is not None and r.before.first.year == 2013
    assert r.before.n == 511


def test_unknown_station_is_an_error(harbour) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(bl.BaselineError, match="no seawater results for H-3 at station 'X-9'"):
        bl.station_baseline(harbour.store, "X-9", "H-3")
    with pytest.raises(bl.BaselineError, match="no station in zone"):
        bl.zone_baseline(harbour.store, "nowhere", "H-3")


# --------------------------------------------------------------------------- synthetic


T0 = datetime(2022, 1, 1, tzinfo=UTC)


def _m(
    day: int,
    value: float,
    *,
    nd: bool = False,
    unit: str = "Bq/L",
    source: str = "a",
    nuclide: str = "H-3",
) -> Measurement:
    return Measurement(
        org="TEPCO",
        station="S-1",
        medium=Medium.SEAWATER,
        sampled_at=T0 + timedelta(days=day),
        nuclide=nuclide,
        detection=Detection.BELOW_LIMIT if nd else Detection.DETECTED,
        value=value,
        unit=unit,
        basis=Basis.WATER,
        source=source,
    )


def test_identical_results_of_two_sources_are_kept_once() -> None:
    a = [_m(i, 1.0 + i / 10, source="nra") for i in range(5)]
    b = [_m(i, 1.0 + i / 10, source="orbs") for i in range(3, 8)]
    obs, unit, sources, dups, without = bl.observations(a + b)
    assert len(obs) == 8 and dups == 2 and without == 0
    assert sources == {"nra": 5, "orbs": 3}
    # A non-detect at the same time and number is another statement: kept.
    obs2, *_ = bl.observations([_m(0, 1.0), _m(0, 1.0, nd=True)])
    assert len(obs2) == 2


def test_units_are_put_on_one_scale() -> None:
    obs, unit, *_ = bl.observations([_m(0, 1.0), _m(1, 2.0), _m(2, 500.0, unit="mBq/L")])
    assert unit == "Bq/L"
    assert [o.value for o in obs] == pytest.approx([1.0, 2.0, 0.5])


def test_uncensored_series_uses_mann_kendall_and_km() -> None:
    start = T0 + timedelta(days=100)
    before = [_m(i, 1.0 + (i % 3) / 10) for i in range(0, 60, 6)]
    after = [_m(100 + 30 * i, 2.0 + 0.5 * i) for i in range(8)]
    r = bl.compare_before_after(before + after, discharge_start=start, baseline_since=None)
    assert r.trend is not None and r.trend.method == "mann-kendall"
    # Exactly linear: 0.5 Bq/L per 30 days -> Sen slope in Bq/L per year ~ 6.08.
    assert r.trend.sen_slope == pytest.approx(0.5 / 30 * 365, rel=0.01)
    assert r.before.summary is not None and r.before.summary.percent_censored == 0
    assert r.shift == 1.0 and r.direction == "higher after"


def test_refuses_summaries_and_tests_that_do_not_fit() -> None:
    start = T0 + timedelta(days=100)
    before = [_m(i, 0.3, nd=True) for i in range(10)]
    after = [_m(100 + i, 0.3, nd=True) for i in range(2)] + [_m(103, 0.5)]
    r = bl.compare_before_after(before + after, discharge_start=start, baseline_since=None)
    assert r.before.summary is None and r.before.refusal
    assert r.after.summary is None and "detected value" in (r.after.refusal or "")
    assert r.trend is None and "at least 3 results of which 2 detected" in (r.trend_refusal or "")
    with pytest.raises(bl.BaselineError, match="one nuclide"):
        bl.compare_before_after([_m(0, 1.0), _m(1, 1.0, nuclide="Cs-137")])


def test_shift_score_counts_only_certain_orders() -> None:
    """after = {2, <1}, before = {1.5, <3}: (2 > 1.5) +1; (2 vs <3) tie; (<1 < 1.5) -1;
    (<1 vs <3) tie, so (1 - 1) / 4 = 0."""
    o = bl.Observation
    t = T0
    after = [o("S", t, 2.0, False, "x"), o("S", t, 1.0, True, "x")]
    before = [o("S", t, 1.5, False, "x"), o("S", t, 3.0, True, "x")]
    assert bl.shift_score(after, before) == 0.0
    assert bl.shift_score([o("S", t, 3.0, False, "x")], before) == 1.0
