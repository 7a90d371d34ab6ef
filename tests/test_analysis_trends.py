"""Tests of seawitness.analysis.trends.

References:
* NADA2 vignette "DataAnalysis" (Julian & Helsel, NADA2 1.1.x), Gales Creek
  total chromium (NADA2 data set ``Gales_Creek``): ``ATS(TCr, CrND, dectime,
  LOG = FALSE)`` prints ``TCr = 181.2617 -0.0896 * dectime``, Kendall's tau =
  -0.234, p = 0.00648; ``censeaken`` prints per season Dry: N 34, S -120,
  tau -0.214, p 0.069046, intercept 101.24, slope -0.05001 and Wet: N 29,
  S -83, tau -0.204, p 0.12381, intercept 233.15, slope -0.1151; overall
  S_SK = -203, tau_SK = -0.21, slope -0.08965, intercept 181.26.
* pymannkendall 1.4.3 (Hussain & Mahmud 2019), an independent implementation,
  for the uncensored Mann-Kendall and seasonal Kendall statistics.
* Closed-form cases from the definitions in Gilbert (1987), ch. 16.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pymannkendall as pmk
import pytest

from seawitness.analysis import trends as tr


def _flags(s: str) -> list[bool]:
    return [ch == "1" for ch in s]


GALES_DECTIME = [
    2009.013699,
    2009.090411,
    2009.167123,
    2009.263014,
    2009.339726,
    2009.416438,
    2009.512329,
    2009.589041,
    2009.687671,
    2009.761644,
    2009.876712,
    2009.934247,
    2010.010959,
    2010.087671,
    2010.164384,
    2010.260274,
    2010.336986,
    2010.416438,
    2010.512329,
    2010.586301,
    2010.684932,
    2010.758904,
    2010.835616,
    2010.915068,
    2011.013699,
    2011.087671,
    2011.164384,
    2011.260274,
    2011.334247,
    2011.430137,
    2011.509589,
    2011.583562,
    2011.682192,
    2011.756164,
    2011.928767,
    2012.177596,
    2012.278689,
    2012.52459,
    2012.754098,
    2013.178082,
    2013.386301,
    2013.616438,
    2013.865753,
    2014.153425,
    2014.364384,
    2014.558904,
    2014.863014,
    2015.134247,
    2015.345205,
    2015.594521,
    2015.783562,
    2016.10929,
    2016.379781,
    2016.704918,
    2016.877049,
    2017.106849,
    2017.449315,
    2017.605479,
    2017.79726,
    2018.10411,
    2018.276712,
    2018.545205,
    2018.791781,
]
GALES_TCR = [
    2.76,
    0.836,
    1.88,
    0.6,
    3.99,
    0.544,
    1.35,
    0.6,
    0.6,
    0.6,
    7.98,
    0.751,
    2.28,
    1.28,
    1.59,
    4.06,
    0.939,
    1.06,
    0.6,
    0.6,
    0.6,
    0.6,
    2.59,
    4.8,
    1.57,
    1.29,
    2.57,
    1.93,
    0.958,
    0.729,
    0.752,
    0.659,
    0.837,
    1.21,
    0.717,
    1.53,
    1.62,
    0.6,
    0.6,
    0.833,
    0.481,
    0.645,
    0.612,
    1.79,
    0.742,
    0.4,
    0.487,
    1.01,
    0.4,
    0.44,
    0.4,
    1.95,
    0.495,
    0.4,
    0.4,
    21.2,
    0.772,
    0.4,
    0.535,
    1.16,
    0.498,
    0.4,
    0.521,
]
GALES_CRND = _flags("000100011100000000111100000000000000011000000100101001100100010")
GALES_SEASON = "WWWWDDDDDDWWWWWWDDDDDDWWWWWWDDDDDDWWWDDWDDWWDDWWDDDWDDWWDDDWWDD"


def _season(s: str) -> tuple[list[float], list[float], list[bool]]:
    idx = [i for i, g in enumerate(GALES_SEASON) if g == s]
    return (
        [GALES_TCR[i] for i in idx],
        [GALES_DECTIME[i] for i in idx],
        [GALES_CRND[i] for i in idx],
    )


def test_ats_reproduces_nada2_gales_creek() -> None:
    """NADA2 ATS on Gales Creek TCr: 181.2617 - 0.0896 * dectime, tau -0.234, p 0.00648."""
    r = tr.akritas_theil_sen(GALES_TCR, GALES_CRND, GALES_DECTIME)
    assert r.n == 63
    assert r.tau == pytest.approx(-0.234, abs=5e-4)
    assert r.p == pytest.approx(0.00648, abs=5e-6)
    assert r.sen_slope == pytest.approx(-0.0896, abs=5e-5)
    assert r.sen_slope == pytest.approx(-0.08965, abs=5e-6)  # censeaken, 4 significant digits
    assert r.intercept == pytest.approx(181.2617, abs=5e-5)


@pytest.mark.parametrize(
    ("season", "n", "s", "tau", "p", "slope", "intercept"),
    [
        ("D", 34, -120, -0.214, 0.069046, -0.05001, 101.24),
        ("W", 29, -83, -0.204, 0.12381, -0.1151, 233.15),
    ],
)
def test_censored_kendall_reproduces_nada2_censeaken_seasons(
    season: str, n: int, s: float, tau: float, p: float, slope: float, intercept: float
) -> None:
    """NADA2 censeaken per-season rows for Gales Creek.

    S, tau and p are reproduced to the printed digits. The slope is checked to
    2e-4 and the intercept to 0.25: NADA's bisection stops at a tolerance
    rather than at the exact middle of the zero-S interval, which moves the
    Wet-season slope in its 4th significant digit (and the intercept, at
    t ~ 2013, by slope error x 2013).
    """
    y, t, c = _season(season)
    r = tr.akritas_theil_sen(y, c, t)
    assert r.n == n
    assert s == r.S
    assert r.tau == pytest.approx(tau, abs=5e-4)
    assert r.p == pytest.approx(p, rel=1e-4)
    assert r.sen_slope == pytest.approx(slope, abs=2e-4)
    assert r.intercept == pytest.approx(intercept, abs=0.25)
    assert r.intercept - intercept == pytest.approx((slope - r.sen_slope) * np.median(t), abs=0.02)


def test_censored_seasonal_kendall_reproduces_nada2_censeaken_overall() -> None:
    """censeaken overall: S_SK = -203, tau_SK = -0.21, slope -0.08965, intercept 181.26."""
    r = tr.censored_seasonal_kendall(GALES_TCR, GALES_CRND, GALES_DECTIME, list(GALES_SEASON))
    assert r.S == -203
    assert r.tau == pytest.approx(-0.21, abs=5e-3)
    assert r.sen_slope == pytest.approx(-0.08965, abs=5e-6)
    assert r.intercept == pytest.approx(181.26, abs=5e-3)


def _series(seed: int, n: int = 60, decimals: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.round(rng.normal(size=n).cumsum() + 0.05 * np.arange(n), decimals)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_mann_kendall_matches_pymannkendall(seed: int) -> None:
    """Cross-check with pymannkendall.original_test on tied, equally spaced data."""
    x = _series(seed)
    r = tr.mann_kendall(x)
    o = pmk.original_test(x)
    assert o.s == r.S
    assert r.var_S == pytest.approx(o.var_s)
    assert r.z == pytest.approx(o.z)
    assert r.p == pytest.approx(o.p, rel=1e-9)
    assert r.tau == pytest.approx(o.Tau)
    assert r.sen_slope == pytest.approx(o.slope)
    assert r.intercept == pytest.approx(o.intercept)


@pytest.mark.parametrize("seed", [4, 5])
def test_seasonal_kendall_matches_pymannkendall(seed: int) -> None:
    """Cross-check with pymannkendall.seasonal_test(period=12); its slope is per period."""
    x = _series(seed, n=72)
    r = tr.seasonal_kendall(x, None, [i % 12 for i in range(x.size)])
    o = pmk.seasonal_test(x, period=12)
    assert o.s == r.S
    assert r.var_S == pytest.approx(o.var_s)
    assert r.p == pytest.approx(o.p, rel=1e-9)
    assert r.tau == pytest.approx(o.Tau)
    assert r.sen_slope * 12 == pytest.approx(o.slope)


def test_mann_kendall_closed_form_monotone_series() -> None:
    """Gilbert (1987) eq. 16.4/16.5 for x = 1..5: S = 10, Var S = 50/3, z = 9/sqrt(50/3)."""
    r = tr.mann_kendall([1, 2, 3, 4, 5])
    assert r.S == 10
    assert r.var_S == pytest.approx(50 / 3)
    assert r.z == pytest.approx(9 / math.sqrt(50 / 3))
    assert r.tau == 1.0


def test_sen_slope_uses_real_uneven_times() -> None:
    """Exact line y = 3 + 2 t on uneven times: slope 2 per time unit, intercept 3."""
    t = [0.0, 0.5, 3.0, 3.2, 10.0]
    slope, intercept = tr.sen_slope([3 + 2 * v for v in t], t)
    assert slope == pytest.approx(2.0)
    assert intercept == pytest.approx(3.0)


def test_dates_become_decimal_years() -> None:
    """dectime convention of NADA2 Gales_Creek: 2009-01-06 -> 2009 + 5/365."""
    yrs = tr.to_decimal_years([dt.date(2009, 1, 6), dt.datetime(2012, 7, 1, 12)])
    assert yrs[0] == pytest.approx(2009.013699, abs=5e-7)
    assert yrs[1] == pytest.approx(2012 + (182.5 / 366))


def test_ats_without_censoring_equals_theil_sen_slope() -> None:
    """With no non-detects the ATS slope is the Theil-Sen slope (Akritas et al. 1995)."""
    t = np.arange(15, dtype=float)
    y = np.array([5, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14, 17, 16, 19, 18], dtype=float)
    r = tr.akritas_theil_sen(y, [False] * 15, t)
    assert r.sen_slope == pytest.approx(tr.sen_slope(y, t)[0], abs=1e-8)
    assert tr.kendall_s(t, y)[0] == r.S


def test_seasons_from_dates_and_numbers() -> None:
    assert tr.seasons_from_time(
        [dt.date(2020, 1, 5), dt.date(2020, 5, 1), dt.date(2020, 12, 1)], 4
    ) == [0, 1, 3]
    assert tr.seasons_from_time([0, 1, 12, 13.5], 12) == [0, 1, 0, 1]
    with pytest.raises(tr.TrendInputError):
        tr.seasons_from_time([dt.date(2020, 1, 5)], 5)


def test_too_few_points_rejected() -> None:
    with pytest.raises(tr.TrendInputError):
        tr.mann_kendall([1.0, 2.0])
