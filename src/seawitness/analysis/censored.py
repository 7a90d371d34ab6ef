"""Summary statistics and group tests for data with non-detects ("< DL" values).

Radioactivity results below the detection limit are *left-censored*: the true
value lies somewhere between zero and the reported limit. This module never
substitutes a fraction of the limit (DL/2 and friends are biased and are not
offered). It implements the three estimators recommended by Helsel (2012),
"Statistics for Censored Environmental Data Using Minitab and R", 2nd ed.,
Wiley:

* :func:`kaplan_meier` -- nonparametric Kaplan--Meier estimate for left-censored
  data (Helsel 2012, ch. 6), computed directly on the left-censored scale,
  which is equivalent to "flipping" the data into right-censored survival
  times.
* :func:`ros` -- robust regression on order statistics with the Helsel & Cohn
  (1988) plotting positions for multiple detection limits.
* :func:`lognormal_mle` -- maximum-likelihood fit of a lognormal distribution
  to the censored sample.

and the Peto--Prentice generalized Wilcoxon test between groups
(:func:`peto_prentice_test`; R ``survival::survdiff(rho = 1)`` on flipped data,
as used by NADA ``cendiff`` and NADA2 ``cen1way``).

Values carry whatever unit they are given in (e.g. Bq/L or Bq/kg); every
location/scale result is in that unit. Censoring flags are ``True`` where the
value is a detection limit.

Applicability limits follow Helsel (2012): with more than 80 % of values
censored no mean, standard deviation or percentile is estimated
(:class:`MethodNotApplicable`); only the detection frequency should be
reported.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import optimize, stats

from seawitness.analysis.censored_base import (
    DEFAULT_PERCENTILES,
    MAX_PERCENT_CENSORED,
    MIN_DETECTS_PARAMETRIC,
    CensoredDataError,
    CensoredSummary,
    GroupTest,
    InsufficientData,
    MethodNotApplicable,
    check_applicable,
    prepare,
    t_ucl95,
)
from seawitness.analysis.km import (
    QUANTILE_RULES,
    kaplan_meier,
    kaplan_meier_t_interval,
    peto_prentice_test,
)
from seawitness.errors import InputError

__all__ = [
    "DEFAULT_PERCENTILES",
    "MAX_PERCENT_CENSORED",
    "MIN_DETECTS_PARAMETRIC",
    "QUANTILE_RULES",
    "CensoredDataError",
    "CensoredSummary",
    "GroupTest",
    "InputError",
    "InsufficientData",
    "MethodNotApplicable",
    "kaplan_meier",
    "kaplan_meier_t_interval",
    "lognormal_cox_interval",
    "lognormal_mle",
    "peto_prentice_test",
    "ros",
    "ros_plotting_positions",
    "summarize",
]


# --------------------------------------------------------------------------- ROS


def _quantile_type7(data: NDArray[np.float64], q: float) -> float:
    return float(np.quantile(data, q, method="linear"))


def ros_plotting_positions(
    values: ArrayLike, censored: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Helsel & Cohn (1988) plotting positions for multiple detection limits.

    For detection limits ``DL_1 < ... < DL_m`` the probability of exceeding
    ``DL_j`` is computed from the top down,
    ``PE_j = PE_{j+1} + A_j / (A_j + B_j) * (1 - PE_{j+1})`` with ``PE_{m+1} = 0``,
    ``A_j`` the detects in ``[DL_j, DL_{j+1})`` and ``B_j`` the observations below
    ``DL_j`` (detects ``< DL_j`` and limits ``<= DL_j``). Detects in interval ``j``
    get ``(1 - PE_j) + (PE_j - PE_{j+1}) r / (A_j + 1)``; limits equal to ``DL_j``
    get ``(1 - PE_j) r / (C_j + 1)`` (``r`` the rank within the group, ``C_j`` the
    number of limits at ``DL_j``). Values below the lowest limit use ``PE_0 = 1``.

    :returns: plotting positions (probabilities in (0, 1)) in input order, and
        the exceedance probabilities ``PE_j`` of the sorted detection limits.
    """
    x, c = prepare(values, censored)
    limits = np.unique(x[c])
    det = x[~c]
    m = limits.size
    pe = np.zeros(m + 2)  # index 0 -> below all limits (PE = 1), m+1 -> above (PE = 0)
    pe[0] = 1.0
    bounds = np.concatenate([[-np.inf], limits, [np.inf]])
    for j in range(m, 0, -1):
        lo, hi = bounds[j], bounds[j + 1]
        a = np.count_nonzero((det >= lo) & (det < hi))
        bj = np.count_nonzero(det < lo) + np.count_nonzero(x[c] <= lo)
        pe[j] = pe[j + 1] + (a / (a + bj) if a + bj > 0 else 0.0) * (1.0 - pe[j + 1])
    pp = np.empty(x.size)
    order = np.argsort(x, kind="stable")
    for j in range(0, m + 1):
        lo, hi = bounds[j], bounds[j + 1]
        idx = [i for i in order if not c[i] and lo <= x[i] < hi]
        n_in = len(idx)
        for r, i in enumerate(idx, start=1):
            pp[i] = (1.0 - pe[j]) + (pe[j] - pe[j + 1]) * r / (n_in + 1)
        if j >= 1:
            cidx = [i for i in order if c[i] and x[i] == limits[j - 1]]
            for r, i in enumerate(cidx, start=1):
                pp[i] = (1.0 - pe[j]) * r / (len(cidx) + 1)
    return pp, pe[1 : m + 1]


def ros(
    values: ArrayLike,
    censored: ArrayLike,
    *,
    percentiles: Sequence[float] = DEFAULT_PERCENTILES,
) -> CensoredSummary:
    """Robust regression on order statistics, lognormal (Helsel & Cohn 1988; Helsel 2012 ch. 6).

    ``ln(detect)`` is regressed by least squares on the normal quantiles of
    the plotting positions of :func:`ros_plotting_positions`; each non-detect
    is replaced by the value the line predicts at its own plotting position.
    Detects are kept as measured, and mean, SD (n - 1 denominator), median and
    percentiles (R type 7) are those of the combined sample, as in NADA
    ``cenros``. ``se_mean`` is ``sd / sqrt(n)``.

    :param values: detected values and detection limits (> 0, any unit).
    :param censored: ``True`` where the value is a detection limit.
    :raises InsufficientData: fewer than 3 detects.
    :raises MethodNotApplicable: more than 80 % non-detects or values <= 0.
    """
    x, c = prepare(values, censored)
    n, n_det, pct = check_applicable(x, c, "ROS", MIN_DETECTS_PARAMETRIC)
    if np.any(x <= 0):
        raise MethodNotApplicable("ROS (lognormal): all values and limits must be > 0")
    pp, _ = ros_plotting_positions(x, c)
    zq = stats.norm.ppf(pp)
    slope, intercept = np.polyfit(zq[~c], np.log(x[~c]), 1)
    full = x.copy()
    full[c] = np.exp(intercept + slope * zq[c])
    mean = float(np.mean(full))
    sd = float(np.std(full, ddof=1))
    se = sd / math.sqrt(n)
    pcts = {float(q): _quantile_type7(full, q / 100.0) for q in percentiles}
    return CensoredSummary(
        method="ros",
        n=n,
        n_detected=n_det,
        percent_censored=pct,
        mean=mean,
        sd=sd,
        median=_quantile_type7(full, 0.5),
        se_mean=se,
        ucl95=t_ucl95(mean, se, n),
        percentiles=pcts,
        extra={"ln_intercept": float(intercept), "ln_slope": float(slope)},
    )


# --------------------------------------------------------------------------- MLE


def lognormal_mle(
    values: ArrayLike,
    censored: ArrayLike,
    *,
    percentiles: Sequence[float] = DEFAULT_PERCENTILES,
) -> CensoredSummary:
    """Lognormal maximum-likelihood estimate for left-censored data (Helsel 2012, ch. 6).

    Maximises ``sum_det ln phi((ln x - mu)/sigma) - ln sigma
    + sum_ND ln Phi((ln DL - mu)/sigma)`` with :func:`scipy.optimize.minimize`
    (parameters ``mu`` and ``ln sigma``). Results, as NADA ``cenmle``:
    median ``exp(mu)``, mean ``exp(mu + sigma^2/2)``,
    SD ``sqrt((exp(sigma^2) - 1) exp(2 mu + sigma^2))``, percentiles
    ``exp(mu + sigma z_p)``, ``se_mean = sd / sqrt(n)`` (as NADA
    ``mean(cenmle)``). ``ucl95`` is the one-sided 95 % Cox limit
    ``exp(ln(mean) + z_0.95 sqrt(sigma^2/n + sigma^4 / (2 (n + 1))))``
    (Land 1972 / Cox method, as NADA; see :func:`lognormal_cox_interval`).

    :raises InsufficientData: fewer than 3 detects.
    :raises MethodNotApplicable: more than 80 % non-detects or values <= 0.
    """
    x, c = prepare(values, censored)
    n, n_det, pct = check_applicable(x, c, "lognormal MLE", MIN_DETECTS_PARAMETRIC)
    if np.any(x <= 0):
        raise MethodNotApplicable("lognormal MLE: all values and limits must be > 0")
    ly = np.log(x)
    det, lim = ly[~c], ly[c]

    def nll(theta: NDArray[np.float64]) -> float:
        mu, log_s = float(theta[0]), float(theta[1])
        s = math.exp(log_s)
        ll = float(np.sum(stats.norm.logpdf(det, mu, s)))
        if lim.size:
            ll += float(np.sum(stats.norm.logcdf(lim, mu, s)))
        return -ll

    start = np.array([float(np.mean(det)), math.log(max(float(np.std(det, ddof=1)), 1e-6))])
    res = optimize.minimize(
        nll, start, method="Nelder-Mead", options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 20000}
    )
    res = optimize.minimize(nll, res.x, method="BFGS", options={"gtol": 1e-10})
    mu, sigma = float(res.x[0]), math.exp(float(res.x[1]))
    mean = math.exp(mu + sigma**2 / 2.0)
    sd = math.sqrt((math.exp(sigma**2) - 1.0) * math.exp(2.0 * mu + sigma**2))

    se = sd / math.sqrt(n)
    half = float(stats.norm.ppf(0.95)) * _cox_half_width(sigma, n)
    pcts = {float(q): math.exp(mu + sigma * float(stats.norm.ppf(q / 100.0))) for q in percentiles}
    return CensoredSummary(
        method="mle",
        n=n,
        n_detected=n_det,
        percent_censored=pct,
        mean=mean,
        sd=sd,
        median=math.exp(mu),
        se_mean=se,
        ucl95=math.exp(math.log(mean) + half),
        percentiles=pcts,
        extra={"mu": mu, "sigma": sigma},
    )


def _cox_half_width(sigma: float, n: int) -> float:
    return math.sqrt(sigma**2 / n + 0.5 * sigma**4 / (n + 1))


def lognormal_cox_interval(summary: CensoredSummary, level: float = 0.95) -> tuple[float, float]:
    """Two-sided Cox confidence interval of a lognormal-MLE mean.

    ``exp(ln(mean) -/+ z sqrt(sigma^2/n + sigma^4/(2(n+1))))`` with
    ``z = Phi^-1(1/2 + level/2)``, the interval printed by NADA
    ``mean(cenmle(..., conf.int = level))``.

    :param summary: result of :func:`lognormal_mle`.
    """
    if summary.method != "mle":
        raise CensoredDataError("the Cox interval needs a lognormal MLE summary")
    half = float(stats.norm.ppf(0.5 + level / 2.0)) * _cox_half_width(
        summary.extra["sigma"], summary.n
    )
    centre = math.log(summary.mean)
    return math.exp(centre - half), math.exp(centre + half)


_METHODS = {"km": kaplan_meier, "ros": ros, "mle": lognormal_mle}


def summarize(values: ArrayLike, censored: ArrayLike, method: str = "km") -> CensoredSummary:
    """Dispatch to :func:`kaplan_meier`, :func:`ros` or :func:`lognormal_mle` by name."""
    if method not in _METHODS:
        raise CensoredDataError(f"unknown method {method!r}; choose from {sorted(_METHODS)}")
    fn = _METHODS[method]
    return fn(values, censored)
