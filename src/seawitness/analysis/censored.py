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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import optimize, stats

from seawitness.errors import InputError

__all__ = [
    "MAX_PERCENT_CENSORED",
    "MIN_DETECTS_PARAMETRIC",
    "CensoredDataError",
    "CensoredSummary",
    "GroupTest",
    "InsufficientData",
    "MethodNotApplicable",
    "kaplan_meier",
    "kaplan_meier_t_interval",
    "lognormal_cox_interval",
    "lognormal_mle",
    "peto_prentice_test",
    "ros",
    "summarize",
]

#: Above this percentage of non-detects no mean/SD/percentile is estimated
#: (Helsel 2012, Table 6.1 / section 8: "> 80 % censored: report only the
#: percentage of detects").
MAX_PERCENT_CENSORED = 80.0

#: Minimum number of detected values for ROS and the lognormal MLE: a
#: regression (ROS) or a two-parameter fit (MLE) through fewer than three
#: detects is not identifiable in any useful sense. This is the project's
#: conservative reading of Helsel (2012, ch. 6), not a number printed there.
MIN_DETECTS_PARAMETRIC = 3


class CensoredDataError(InputError):
    """Base class for refusals of the censored-data estimators."""


class InsufficientData(CensoredDataError):
    """Too few observations or detected values for the requested method."""


class MethodNotApplicable(CensoredDataError):
    """The data are outside the range where the method is valid (e.g. > 80 % censored)."""


@dataclass(frozen=True)
class CensoredSummary:
    """Summary statistics of a left-censored sample.

    All location and scale values are in the unit of the input values.

    :ivar method: ``"km"``, ``"ros"`` or ``"mle"``.
    :ivar n: number of observations.
    :ivar n_detected: number of detected (uncensored) values.
    :ivar percent_censored: 100 * (n - n_detected) / n.
    :ivar mean: estimated mean.
    :ivar sd: estimated standard deviation of the population.
    :ivar median: estimated median.
    :ivar se_mean: standard error of the mean.
    :ivar ucl95: one-sided 95 % upper confidence limit of the mean
        (Student-t, ``mean + t(0.95, n-1) * se_mean``), or ``None``.
    :ivar percentiles: estimated percentiles keyed by probability (0--100).
    :ivar extra: method-specific values (e.g. lognormal ``mu``/``sigma``).
    """

    method: str
    n: int
    n_detected: int
    percent_censored: float
    mean: float
    sd: float
    median: float
    se_mean: float | None
    ucl95: float | None
    percentiles: dict[float, float] = field(default_factory=dict)
    extra: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        """Plain-JSON representation (percentile keys become strings)."""
        return {
            "method": self.method,
            "n": self.n,
            "n_detected": self.n_detected,
            "percent_censored": self.percent_censored,
            "mean": self.mean,
            "sd": self.sd,
            "median": _finite(self.median),
            "se_mean": self.se_mean,
            "ucl95": self.ucl95,
            "percentiles": {f"{k:g}": _finite(v) for k, v in self.percentiles.items()},
            **({"extra": dict(self.extra)} if self.extra else {}),
        }


def _finite(v: float) -> float | None:
    """JSON has no NaN: a quantile that has no value becomes null."""
    return v if math.isfinite(v) else None


@dataclass(frozen=True)
class GroupTest:
    """Result of a k-sample test on censored data.

    :ivar statistic: chi-square statistic.
    :ivar df: degrees of freedom (k - 1).
    :ivar p: upper-tail p-value of the chi-square distribution.
    :ivar method: name of the test.
    :ivar groups: group labels, in input order.
    :ivar observed: per group, the weighted count of detects ``sum w d_g`` (the
        "Observed" column of R ``survdiff``).
    :ivar expected: per group, ``sum w d n_g / n`` (survdiff's "Expected").
    """

    statistic: float
    df: int
    p: float
    method: str = "Peto-Prentice generalized Wilcoxon"
    groups: tuple[str, ...] = ()
    observed: tuple[float, ...] = ()
    expected: tuple[float, ...] = ()


DEFAULT_PERCENTILES: tuple[float, ...] = (5.0, 10.0, 25.0, 50.0, 75.0, 90.0, 95.0)


def _prepare(
    values: ArrayLike, censored: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    x = np.asarray(values, dtype=float)
    c = np.asarray(censored, dtype=bool)
    if x.ndim != 1 or c.ndim != 1:
        raise ValueError("values and censored must be one-dimensional")
    if x.shape != c.shape:
        raise ValueError(f"values ({x.size}) and censored ({c.size}) differ in length")
    if x.size == 0:
        raise InsufficientData("no observations")
    if not np.all(np.isfinite(x)):
        raise ValueError("values must be finite numbers")
    return x, c


def _check_applicable(
    x: NDArray[np.float64], c: NDArray[np.bool_], method: str, min_detects: int
) -> tuple[int, int, float]:
    n = int(x.size)
    n_det = int(np.count_nonzero(~c))
    pct = 100.0 * (n - n_det) / n
    if n_det < min_detects:
        raise InsufficientData(
            f"{method}: {n_det} detected value(s) of {n}; at least {min_detects} required"
        )
    if pct > MAX_PERCENT_CENSORED:
        raise MethodNotApplicable(
            f"{method}: {pct:.1f} % of values are non-detects (> {MAX_PERCENT_CENSORED:g} %); "
            "Helsel (2012) advises reporting only the detection frequency"
        )
    return n, n_det, pct


def _t_ucl95(mean: float, se: float | None, n: int) -> float | None:
    if se is None or n < 2 or not math.isfinite(se):
        return None
    return mean + float(stats.t.ppf(0.95, n - 1)) * se


# --------------------------------------------------------------------------- Kaplan-Meier


@dataclass(frozen=True)
class _KMCurve:
    """Left-censored KM step function: ``cdf[i] = P(X <= support[i])``."""

    support: NDArray[np.float64]  # distinct detected values, ascending
    cdf: NDArray[np.float64]
    mass: NDArray[np.float64]
    at_risk: NDArray[np.float64]  # b_v: observations <= v (detects and DLs)
    events: NDArray[np.float64]  # d_v: detects equal to v
    nd_above_max: bool = False  # a detection limit above the largest detect


def _km_curve(x: NDArray[np.float64], c: NDArray[np.bool_]) -> _KMCurve:
    det = x[~c]
    support = np.unique(det)
    m = support.size
    at_risk = np.array([np.count_nonzero(x <= v) for v in support], dtype=float)
    events = np.array([np.count_nonzero(det == v) for v in support], dtype=float)
    cdf = np.empty(m)
    cdf[-1] = 1.0
    for i in range(m - 1, 0, -1):
        cdf[i - 1] = cdf[i] * (at_risk[i] - events[i]) / at_risk[i]
    mass = np.diff(cdf, prepend=0.0)
    # All probability below the smallest detect is put on that detect (the
    # convention of NADA cenfit / EnvStats enparCensored; biased high).
    nd_above_max = bool(np.any(x[c] > support[-1]))
    return _KMCurve(support, cdf, mass, at_risk, events, nd_above_max)


#: Conventions for Kaplan--Meier quantiles (see :func:`kaplan_meier`).
QUANTILE_RULES: tuple[str, ...] = ("inverse", "nada", "midpoint")

# NADA's stepfind() treats a step equal to p within all.equal()'s default tolerance
# (1.5e-8, relative) as reaching p; cdf values are products of ratios, so an exact 0.5
# can come out as 0.49999999999999994.
_REACH_TOL = 1.5e-8


def _below_smallest_detect(curve: _KMCurve) -> float:
    """KM probability below the smallest detected value (carried by the non-detects)."""
    b0, d0 = curve.at_risk[0], curve.events[0]
    return float(curve.cdf[0] * (b0 - d0) / b0)


def _km_quantile(curve: _KMCurve, p: float, rule: str = "inverse") -> float:
    """The ``p`` quantile (0 < p < 1) of the left-censored KM distribution.

    * ``"inverse"``: ``inf{v : F(v) >= p}``, the generalized inverse of the KM cdf; NaN
      when ``p`` is at or below the probability left below the smallest detect (the
      quantile lies among the non-detects and has no value);
    * ``"nada"``: as NADA 1.6-1.1 ``quantile(cenfit)`` / ``median(cenfit)``, which is
      ``"inverse"`` except that it is NA (here NaN) when ``p`` is at or above the cdf
      just below the largest value and that value is a detect (a guard of NADA's
      ``stepfind``, which never returns the largest time of the curve);
    * ``"midpoint"``: as R ``survival::quantile.survfit`` on flipped data: where the cdf
      equals ``p`` over an interval, the midpoint of that interval.
    """
    if rule not in QUANTILE_RULES:
        raise InputError(f"quantile rule must be one of {', '.join(QUANTILE_RULES)}; got {rule!r}")
    if p <= _below_smallest_detect(curve):
        return math.nan
    top = curve.cdf[-2] if curve.support.size > 1 else 0.0
    if rule == "nada" and not curve.nd_above_max and p >= top:
        return math.nan
    reach = curve.cdf >= p * (1.0 - _REACH_TOL)
    idx = int(np.argmax(reach)) if np.any(reach) else curve.support.size - 1
    flat = abs(curve.cdf[idx] - p) <= _REACH_TOL * p and idx + 1 < curve.support.size
    if rule == "midpoint" and flat:
        return float(0.5 * (curve.support[idx] + curve.support[idx + 1]))
    return float(curve.support[idx])


def kaplan_meier(
    values: ArrayLike,
    censored: ArrayLike,
    *,
    percentiles: Sequence[float] = DEFAULT_PERCENTILES,
    quantile_rule: str = "inverse",
) -> CensoredSummary:
    """Kaplan--Meier summary of left-censored data (Helsel 2012, ch. 6).

    The survival curve is computed directly for left-censored data: going down
    from the largest detect, at each distinct detected value ``v`` the
    cumulative probability ``F`` is multiplied by ``(b_v - d_v) / b_v``, where
    ``b_v`` counts all observations (detects and detection limits) ``<= v`` and
    ``d_v`` the detects equal to ``v``. This equals the product-limit estimate
    on "flipped" data (Helsel 2012, sec. 6.3) with events before censorings at
    ties. Probability left below the smallest detect is placed on it, as in
    NADA ``cenfit`` and EnvStats ``enparCensored`` (mean slightly biased high
    when the smallest value is a non-detect).

    * mean = sum of ``v * p(v)``;
    * sd = sqrt(sum p(v) (v - mean)^2), the SD of the KM distribution
      (EnvStats ``enparCensored``; NADA ``cenfit`` prints ``sqrt(n) * se_mean``
      as "sd" instead, kept here in ``extra["nada_sd"]``);
    * se_mean from the Kaplan (1958) variance of the restricted mean,
      ``sum A_i^2 d_i / (b_i (b_i - d_i))``, times ``sqrt(m/(m-1))`` with
      ``m`` detects (the bias correction of EnvStats / R ``survival``);
    * median and percentiles (``quantile_rule="inverse"``, the default): the smallest
      detected value with ``F >= p`` (the generalized inverse of the KM cdf), as NADA
      ``median(cenfit)`` prints it, also where ``F`` sits exactly at ``p`` over an
      interval; NaN where the quantile lies below the smallest detect (Helsel 2012
      would report it as "< smallest detect"; ``extra["p_below_smallest_detect"]`` gives
      the probability there). ``"nada"`` also returns NaN where NADA ``quantile(cenfit)``
      prints NA at the top (``p`` at or above the cdf below the largest value);
      ``"midpoint"`` takes the middle of a flat at ``p``, as R
      ``survival::quantile.survfit``, which equals the ordinary sample median when
      nothing is censored. The default is the mathematical definition of a quantile of
      the KM distribution and agrees with NADA wherever NADA gives a number.

    :param values: detected values and detection limits (any unit, e.g. Bq/L).
    :param censored: ``True`` where the value is a detection limit.
    :param percentiles: percentiles (0--100) to report.
    :param quantile_rule: ``"inverse"`` (default), ``"nada"`` or ``"midpoint"``.
    :raises InsufficientData: fewer than 2 detected values.
    :raises MethodNotApplicable: more than 80 % non-detects.
    """
    x, c = _prepare(values, censored)
    n, n_det, pct = _check_applicable(x, c, "Kaplan-Meier", 2)
    curve = _km_curve(x, c)
    v, pm = curve.support, curve.mass
    mean = float(np.sum(v * pm))
    var_pop = float(np.sum(pm * (v - mean) ** 2))
    sd = math.sqrt(var_pop)

    # Kaplan (1958) variance of the (restricted) mean. A_i is the area under
    # the cdf between the smallest detect and v_i: int_{v_min}^{v_i} F(x) dx.
    widths = np.diff(v)
    area = np.concatenate([[0.0], np.cumsum(curve.cdf[:-1] * widths)])
    b, d = curve.at_risk, curve.events
    ok = b > d
    var_mean = float(np.sum(area[ok] ** 2 * d[ok] / (b[ok] * (b[ok] - d[ok]))))
    m = n_det
    se = math.sqrt(var_mean * m / (m - 1)) if m > 1 else float("nan")

    pcts = {float(q): _km_quantile(curve, q / 100.0, quantile_rule) for q in percentiles}
    median = _km_quantile(curve, 0.5, quantile_rule)
    return CensoredSummary(
        method="km",
        n=n,
        n_detected=n_det,
        percent_censored=pct,
        mean=mean,
        sd=sd,
        median=median,
        se_mean=se,
        ucl95=_t_ucl95(mean, se, n),
        percentiles=pcts,
        extra={
            "nada_sd": se * math.sqrt(n),
            "p_below_smallest_detect": _below_smallest_detect(curve),
        },
    )


def kaplan_meier_t_interval(summary: CensoredSummary, level: float = 0.95) -> tuple[float, float]:
    """Two-sided Student-t confidence interval of a KM mean.

    ``mean -/+ t(1 - alpha/2, n - 1) * se_mean``, the "normal approximation
    (t distribution)" interval of EnvStats ``enparCensored(ci = TRUE)``.

    :param summary: result of :func:`kaplan_meier`.
    :param level: confidence level, e.g. 0.95.
    """
    if summary.se_mean is None:
        raise InsufficientData("no standard error available")
    t = float(stats.t.ppf(0.5 + level / 2.0, summary.n - 1))
    return summary.mean - t * summary.se_mean, summary.mean + t * summary.se_mean


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
    x, c = _prepare(values, censored)
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
    x, c = _prepare(values, censored)
    n, n_det, pct = _check_applicable(x, c, "ROS", MIN_DETECTS_PARAMETRIC)
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
        ucl95=_t_ucl95(mean, se, n),
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
    x, c = _prepare(values, censored)
    n, n_det, pct = _check_applicable(x, c, "lognormal MLE", MIN_DETECTS_PARAMETRIC)
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
        raise ValueError("the Cox interval needs a lognormal MLE summary")
    half = float(stats.norm.ppf(0.5 + level / 2.0)) * _cox_half_width(
        summary.extra["sigma"], summary.n
    )
    centre = math.log(summary.mean)
    return math.exp(centre - half), math.exp(centre + half)


_METHODS = {"km": kaplan_meier, "ros": ros, "mle": lognormal_mle}


def summarize(values: ArrayLike, censored: ArrayLike, method: str = "km") -> CensoredSummary:
    """Dispatch to :func:`kaplan_meier`, :func:`ros` or :func:`lognormal_mle` by name."""
    try:
        fn = _METHODS[method]
    except KeyError:
        raise ValueError(f"unknown method {method!r}; choose from {sorted(_METHODS)}") from None
    return fn(values, censored)


# --------------------------------------------------------------------------- group test


def peto_prentice_test(
    groups: Mapping[str, tuple[ArrayLike, ArrayLike]] | Sequence[tuple[ArrayLike, ArrayLike]],
) -> GroupTest:
    """Peto--Prentice generalized Wilcoxon test for left-censored groups.

    The k-sample weighted log-rank test with weights ``S(t-)`` (the pooled
    Kaplan--Meier estimate, ``rho = 1`` in the G-rho family of Harrington &
    Fleming 1982) applied to flipped data, i.e. R
    ``survival::survdiff(..., rho = 1)`` as used by NADA ``cendiff`` and NADA2
    ``cen1way`` (Helsel 2012, sec. 9.3, who calls it the Peto--Prentice test; the
    survival package calls the same statistic the Peto & Peto modification of the
    Gehan--Wilcoxon test). In left-censored terms, at each distinct detected value
    ``v`` (from the top) the observations ``<= v`` are at risk, a non-detect whose
    limit equals ``v`` included (on the flipped scale a censoring tied with an event
    is still at risk, as in ``survdiff``), and the weight is the pooled cdf just
    above ``v``.

    ``chi2 = U' V^- U`` over the groups with a positive expected count, dropping one
    of them (survdiff drops the first, the quadratic form does not depend on which);
    ``df`` = number of those groups - 1, as survdiff.

    :param groups: mapping (or sequence) of ``(values, censored)`` per group.
    :raises InsufficientData: fewer than two groups or no detected value.
    """
    if isinstance(groups, Mapping):
        labels = tuple(str(g) for g in groups)
        items = list(groups.values())
    else:
        items = list(groups)
        labels = tuple(str(i) for i in range(len(items)))
    if len(items) < 2:
        raise InsufficientData("at least two groups are needed")
    xs, cs, gs = [], [], []
    for g, (vals, cens) in enumerate(items):
        x, c = _prepare(vals, cens)
        xs.append(x)
        cs.append(c)
        gs.append(np.full(x.size, g))
    x = np.concatenate(xs)
    c = np.concatenate(cs)
    grp = np.concatenate(gs)
    k = len(items)
    det_vals = np.unique(x[~c])[::-1]  # descending = ascending flipped time
    if det_vals.size == 0:
        raise InsufficientData("no detected values")
    obs = np.zeros(k)
    exp = np.zeros(k)
    v = np.zeros((k, k))
    surv = 1.0  # pooled KM S(t-) on the flipped scale
    for val in det_vals:
        risk = x <= val
        event = risk & ~c & (x == val)
        n_t = float(np.count_nonzero(risk))
        d_t = float(np.count_nonzero(event))
        n_g = np.bincount(grp[risk], minlength=k).astype(float)
        d_g = np.bincount(grp[event], minlength=k).astype(float)
        w = surv
        obs += w * d_g
        exp += w * d_t * n_g / n_t
        if n_t > 1:
            frac = n_g / n_t
            v += (w**2) * d_t * (n_t - d_t) / (n_t - 1) * (np.diag(frac) - np.outer(frac, frac))
        surv *= (n_t - d_t) / n_t
    keep = np.flatnonzero(exp > 0)
    df = int(keep.size) - 1
    if df < 1:
        chi2 = 0.0
    else:
        sel = keep[1:]
        uu, vv = (obs - exp)[sel], v[np.ix_(sel, sel)]
        chi2 = float(uu @ np.linalg.pinv(vv) @ uu)
    return GroupTest(
        statistic=chi2,
        df=max(df, 0),
        p=float(stats.chi2.sf(chi2, df)) if df >= 1 else 1.0,
        groups=labels,
        observed=tuple(float(o) for o in obs),
        expected=tuple(float(e) for e in exp),
    )
