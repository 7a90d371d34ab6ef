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

import refdata
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
    # Times counted in steps (months 0, 1, ...): one cycle is `period` steps long.
    assert tr.seasons_from_time([0, 1, 12, 13.5], 12, cycle=12) == [0, 1, 0, 1]
    with pytest.raises(tr.TrendInputError):
        tr.seasons_from_time([dt.date(2020, 1, 5)], 5)


def test_seasons_from_decimal_years_do_not_depend_on_rounding() -> None:
    """Decimal years (R ts time): 1903 + k/12 is month k whether the float of k/12 falls
    a hair short (1903 + 1/12 = 1903.083333...) or the time was printed with 4 decimals
    (1903.0833, 4e-4 of a month short of the boundary)."""
    exact = [1903 + k / 12 for k in range(24)]
    printed = [float(f"{v:.4f}") for v in exact]
    months = [k % 12 for k in range(24)]
    assert tr.seasons_from_time(exact, 12) == months
    assert tr.seasons_from_time(printed, 12) == months
    # Mid-month sampling times fall in their month; quarters from the same times.
    assert tr.seasons_from_time([2020 + (k + 0.5) / 12 for k in range(12)], 12) == list(range(12))
    assert tr.seasons_from_time(exact[:12], 4) == [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3]
    with pytest.raises(tr.TrendInputError):
        tr.seasons_from_time([2020.5], 12, cycle=0)


def test_season_labels_written_differently_are_one_season() -> None:
    assert tr.season_labels(["1", "1.0", "01", " Dry", "Dry", 2]) == [
        1.0,
        1.0,
        1.0,
        "Dry",
        "Dry",
        2,
    ]


# -- references: R Kendall 2.2.1 (McLeod), boot 1.3-28.1 and pymannkendall 1.4.3 ----------


def _manaus() -> tuple[list[float], list[float], list[int]]:
    y = refdata.MANAUS
    t = [refdata.MANAUS_START + k / 12 for k in range(len(y))]  # R: time(manaus)
    cyc = [k % 12 + 1 for k in range(len(y))]  # R: cycle(manaus)
    return y, t, cyc


def test_seasonal_kendall_reproduces_r_kendall_on_manaus() -> None:
    """R 4.2.2, Kendall 2.2.1, boot 1.3-28.1: ``library(boot); data(manaus);
    SeasonalMannKendall(manaus)`` prints tau = 0.0877, 2-sided pvalue = 2.2559e-05 and
    gives S = 4212, D = 48011.97, varS = 987798.0 (the Fortran works in single precision,
    hence varS = 987798.015625 and the 7-digit agreement below).

    The documented example of SeasonalMannKendall: a monthly ts with decimal-year times
    1903.0, 1903.0833, ... and 12 seasons. The same S and Var S must come out whether the
    seasons are given (R's cycle()) or derived from the times, exact or printed to 4
    decimals. R's p has no continuity correction (``continuity=False``)."""
    y, t, cyc = _manaus()
    printed = [float(f"{v:.4f}") for v in t]
    for seasons, times in (
        (cyc, t),
        (tr.seasons_from_time(t, 12), t),
        (tr.seasons_from_time(printed, 12), printed),
        ([str(c) for c in cyc], None),
    ):
        r = tr.seasonal_kendall(y, times, seasons, continuity=False)
        assert r.S == 4212
        assert r.var_S == pytest.approx(987798.015625, rel=1e-7)
        assert r.tau_b == pytest.approx(0.0877281179458411, rel=1e-6)  # S / D
        assert r.p == pytest.approx(2.2558508837367e-05, rel=1e-5)


def test_seasonal_kendall_reproduces_pymannkendall_on_manaus() -> None:
    """pymannkendall 1.4.3 ``seasonal_test(manaus, period=12)``: same S and Var S as R
    Kendall, continuity-corrected p (our default), tau-a; its slope is per period."""
    y, t, cyc = _manaus()
    o = pmk.seasonal_test(y, period=12)
    r = tr.seasonal_kendall(y, t, tr.seasons_from_time(t, 12))
    assert (r.S, o.s) == (4212, 4212)
    assert r.var_S == pytest.approx(o.var_s, rel=1e-12)
    assert r.z == pytest.approx(o.z, rel=1e-12)
    assert r.p == pytest.approx(o.p, rel=1e-9)
    assert r.tau == pytest.approx(o.Tau, rel=1e-12)
    # Slope per year from decimal-year times = pymannkendall's slope per period (a year).
    assert r.sen_slope == pytest.approx(o.slope, rel=1e-9)


def test_mann_kendall_reproduces_r_kendall_on_precipgl() -> None:
    """R Kendall 2.2.1 ``data(PrecipGL); MannKendall(PrecipGL)``: tau = 0.265,
    2-sided pvalue = 0.00029206 (S = 989, D = 3737.999, varS = 74398.34, single
    precision); the series has six tied pairs, so tau-b (R) differs from tau-a."""
    r = tr.mann_kendall(refdata.PRECIP_GL, list(range(1900, 1987)))
    assert r.S == 989
    assert r.var_S == pytest.approx(74398.3359375, rel=1e-7)
    assert r.tau_b == pytest.approx(0.264580070972443, rel=1e-6)
    assert r.tau == pytest.approx(989 / (87 * 86 / 2))
    # R's Fortran evaluates the normal tail in single precision (AS 66, REAL): its p is
    # 2e-8 (6e-5 relative) from the double-precision value; pymannkendall agrees with ours.
    assert r.p == pytest.approx(0.000292062759399414, rel=1e-4)
    assert r.p == pytest.approx(pmk.original_test(refdata.PRECIP_GL).p, rel=1e-12)


# -- references: R NADA 1.6-1.1 cenken and NADA2 2.0.1 (Lee, Helsel, Julian) -------------


def test_ats_midpoint_on_nada_dfe_with_derivation() -> None:
    """DFe summer iron, 1977-1985 (NADA ``data(DFe)``). Hand derivation of the slope:
    limits are lowered by min(y)/1000 = 0.003, so <10 becomes 9.997. Kendall's S between
    year and the residuals y - b*year is +1 just below b = -2.6, 0 on -2.6 < b < -2.50075
    and -1 just above, where -2.6 = (7 - 20)/(1982 - 1977) (two detects) and
    -2.50075 = (9.997 - 20)/(1981 - 1977) (the detect of 1977 and <10 of 1981). The
    midpoint of the zero set is -2.550375. The intercept is the Turnbull median of the
    residuals at that slope: 5060.393625, as NADA's own ``NADA:::turnbull(y, ycen, x,
    xcen, -2.550375)`` returns. tau and p are NADA cenken's (-0.3611111, 0.1315868)."""
    r = tr.akritas_theil_sen(refdata.DFE_SUMMER, refdata.DFE_SUMMER_CEN, refdata.DFE_YEAR)
    assert r.sen_slope == pytest.approx((-2.6 - 2.50075) / 2, abs=1e-9)
    assert r.intercept == pytest.approx(5060.393625, abs=1e-6)
    assert r.tau == pytest.approx(-0.361111111111111, abs=1e-12)
    assert r.p == pytest.approx(0.131586760281186, rel=1e-12)


def test_ats_nada_convention_reproduces_nada_cenken_on_dfe() -> None:
    """R NADA 1.6-1.1 ``with(DFe, cenken(Summer, SummerCen, Year))``: slope
    -2.57211303710938, intercept 5103.50015258789, tau -0.361111111111111,
    p 0.131586760281186. NADA's bisection stops at the first grid point with S = 0, so
    its slope is inside the zero set (-2.6, -2.50075) but 0.85 % from its midpoint."""
    r = tr.akritas_theil_sen(
        refdata.DFE_SUMMER, refdata.DFE_SUMMER_CEN, refdata.DFE_YEAR, convention="nada"
    )
    assert r.sen_slope == pytest.approx(-2.57211303710938, rel=1e-13)
    assert r.intercept == pytest.approx(5103.50015258789, rel=1e-13)
    assert r.tau == pytest.approx(-0.361111111111111, abs=1e-12)
    assert r.p == pytest.approx(0.131586760281186, rel=1e-12)
    assert -2.6 < r.sen_slope < -2.50075


def test_ats_nada2_convention_reproduces_nada2_on_dfe() -> None:
    """NADA2 2.0.1 ``cenken(DFe$Summer, DFe$SummerCen, DFe$Year)`` (its own copy of
    kendallATS, which brackets the root from the pairwise slopes of all values, limits
    included): slope -2.53982418148592, intercept 5039.47135188658."""
    r = tr.akritas_theil_sen(
        refdata.DFE_SUMMER, refdata.DFE_SUMMER_CEN, refdata.DFE_YEAR, convention="nada2"
    )
    assert r.sen_slope == pytest.approx(-2.53982418148592, rel=1e-13)
    assert r.intercept == pytest.approx(5039.47135188658, rel=1e-13)


@pytest.mark.parametrize(
    ("season", "slope", "intercept"),
    [
        (None, -0.0896490912530968, 181.26161502549),
        ("W", -0.114997522043339, 232.925437408391),
        ("D", -0.0500105603039777, 101.24101131823),
    ],
)
def test_ats_nada2_convention_reproduces_nada2_on_gales_creek(
    season: str | None, slope: float, intercept: float
) -> None:
    """NADA2 2.0.1 kendallATS on ``Gales_Creek`` (TCr, CrND, dectime), all data and each
    season: the printed ATS lines of the NADA2 vignette to every digit. ``dectime`` is
    the sampling dates as decimal years (to_decimal_years reproduces the column exactly);
    the 6-decimal copy above moves NADA's bisection grid in the 4th digit."""
    t = list(tr.to_decimal_years([dt.date.fromisoformat(d) for d in refdata.GALES_DATES]))
    idx = [i for i, g in enumerate(GALES_SEASON) if season is None or g == season]
    r = tr.akritas_theil_sen(
        [GALES_TCR[i] for i in idx],
        [GALES_CRND[i] for i in idx],
        [t[i] for i in idx],
        convention="nada2",
    )
    assert r.sen_slope == pytest.approx(slope, rel=1e-12)
    assert r.intercept == pytest.approx(intercept, rel=1e-12)


def test_ats_conventions_are_validated() -> None:
    with pytest.raises(tr.TrendInputError, match="convention"):
        tr.akritas_theil_sen([1.0, 2.0, 3.0], [False] * 3, convention="median")


def test_too_few_points_rejected() -> None:
    with pytest.raises(tr.TrendInputError):
        tr.mann_kendall([1.0, 2.0])
