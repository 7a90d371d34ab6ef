"""Monotonic trend tests for monitoring series (Mann--Kendall family).

* :func:`mann_kendall` -- Mann (1945) / Kendall (1975) test with the tie
  correction of Var(S), continuity-corrected normal score and two-sided p,
  plus the Theil--Sen slope (Sen 1968) on the real, possibly uneven, sampling
  times and Conover's (1980) median-based intercept. Gilbert (1987),
  "Statistical Methods for Environmental Pollution Monitoring", ch. 16.
* :func:`seasonal_kendall` -- Hirsch, Slack & Smith (1982) seasonal Kendall
  test: S and Var(S) summed over seasons, slope = median of within-season
  pairwise slopes (Gilbert 1987, ch. 17).
* :func:`akritas_theil_sen` -- Kendall's tau and the Akritas--Theil--Sen slope
  for left-censored values (Akritas, Murphy & LaValley 1995), following the
  conventions of R NADA ``cenken`` / NADA2 ``ATS`` (Helsel 2012, ch. 12).

Units: the slope is in (value unit) per (time unit). Numeric times are used as
given; :func:`to_decimal_years` converts dates/datetimes to decimal calendar
years so that slopes become "per year".
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from seawitness.analysis.ats import (
    ATS_CONVENTIONS,
    akritas_theil_sen,
    censored_seasonal_kendall,
)
from seawitness.analysis.kendall import (
    SEASON_SNAP,
    TrendInputError,
    TrendResult,
    as_xy,
    kendall_s,
    season_labels,
    seasons_from_time,
    tau_b_denominator,
    to_decimal_years,
    z_and_p,
)

__all__ = [
    "ATS_CONVENTIONS",
    "SEASON_SNAP",
    "TrendInputError",
    "TrendResult",
    "akritas_theil_sen",
    "censored_seasonal_kendall",
    "kendall_s",
    "mann_kendall",
    "season_labels",
    "seasonal_kendall",
    "seasons_from_time",
    "sen_slope",
    "to_decimal_years",
]


def sen_slope(values: ArrayLike, times: ArrayLike | None = None) -> tuple[float, float]:
    """Theil--Sen slope on real times and Conover's intercept.

    slope = median over pairs with ``t_i != t_j`` of ``(y_j - y_i)/(t_j - t_i)``
    (Sen 1968; Gilbert 1987 sec. 16.5); intercept = ``median(y) - slope *
    median(t)`` (Conover 1980, as pymannkendall / R ``zyp``). Without
    ``times`` the index 0..n-1 is used.

    :returns: ``(slope, intercept)``, slope in value unit per time unit.
    """
    t, y = as_xy(values, times)
    i, j = np.triu_indices(y.size, k=1)
    dtm = t[j] - t[i]
    ok = dtm != 0
    if not np.any(ok):
        raise TrendInputError("need at least two distinct times for a slope")
    slope = float(np.median((y[j] - y[i])[ok] / dtm[ok]))
    return slope, float(np.median(y) - slope * np.median(t))


def mann_kendall(values: ArrayLike, times: ArrayLike | None = None) -> TrendResult:
    """Mann--Kendall trend test with Sen's slope (Gilbert 1987, ch. 16).

    :param values: observations (any unit).
    :param times: sampling times (numbers, e.g. decimal years); default index.
    :returns: :class:`TrendResult`; ``tau`` is tau-a = S / (n(n-1)/2), as in
        pymannkendall and NADA ``cenken``.
    :raises TrendInputError: fewer than 3 observations.
    """
    t, y = as_xy(values, times)
    n = y.size
    if n < 3:
        raise TrendInputError(f"Mann-Kendall needs at least 3 observations, got {n}")
    s, var_s = kendall_s(t, y)
    z, p = z_and_p(s, var_s)
    slope, intercept = sen_slope(y, t)
    den = tau_b_denominator(t, y)
    return TrendResult(
        s,
        var_s,
        z,
        p,
        s / (n * (n - 1) / 2.0),
        slope,
        intercept,
        n,
        "mann-kendall",
        tau_b=s / den if den > 0 else math.nan,
    )


def seasonal_kendall(
    values: ArrayLike,
    times: ArrayLike | None,
    seasons: Sequence[Hashable],
    *,
    continuity: bool = True,
) -> TrendResult:
    """Seasonal Kendall test (Hirsch, Slack & Smith 1982; Gilbert 1987 ch. 17).

    ``S = sum_g S_g``, ``Var S = sum_g Var S_g`` (tie-corrected per season, no
    serial-covariance term), two-sided normal p; ``tau = S / sum_g n_g(n_g - 1)/2``
    (tau-a, as pymannkendall) and ``tau_b = S / sum_g D_g`` (R ``Kendall``). Slope:
    median of all within-season pairwise slopes on the real times (the seasonal
    Kendall slope estimator of Hirsch et al. 1982); intercept
    ``median(y) - slope * median(t)``. Seasons with fewer than 2 observations
    contribute nothing. Season labels are compared after :func:`season_labels`.

    ``continuity=True`` (default) uses the continuity-corrected score
    ``(S - sign S)/sqrt(Var S)`` of Hirsch et al. (1982) and pymannkendall
    ``seasonal_test``; ``continuity=False`` gives the uncorrected ``S/sqrt(Var S)`` of R
    ``Kendall::SeasonalMannKendall`` (whose per-season ``MannKendall`` does correct).
    S and Var S are the same either way.
    """
    t, y = as_xy(values, times)
    seas = season_labels(list(seasons))
    if len(seas) != y.size:
        raise TrendInputError(f"seasons ({len(seas)}) and values ({y.size}) differ in length")
    s_tot, var_tot, pairs, den = 0.0, 0.0, 0.0, 0.0
    slopes: list[NDArray[np.float64]] = []
    for g in dict.fromkeys(seas):
        idx = np.array([k for k, sg in enumerate(seas) if sg == g])
        if idx.size < 2:
            continue
        tg, yg = t[idx], y[idx]
        s_g, v_g = kendall_s(tg, yg)
        s_tot += s_g
        var_tot += v_g
        pairs += idx.size * (idx.size - 1) / 2.0
        den += tau_b_denominator(tg, yg)
        i, j = np.triu_indices(idx.size, k=1)
        dtm = tg[j] - tg[i]
        ok = dtm != 0
        slopes.append((yg[j] - yg[i])[ok] / dtm[ok])
    if pairs == 0:
        raise TrendInputError("no season has two or more observations")
    allslopes = np.concatenate(slopes) if slopes else np.array([])
    if allslopes.size == 0:
        raise TrendInputError("need two distinct times within at least one season")
    slope = float(np.median(allslopes))
    z, p = z_and_p(s_tot, var_tot, continuity)
    intercept = float(np.median(y) - slope * np.median(t))
    return TrendResult(
        s_tot,
        var_tot,
        z,
        p,
        s_tot / pairs,
        slope,
        intercept,
        int(y.size),
        "seasonal-kendall",
        tau_b=s_tot / den if den > 0 else math.nan,
    )
