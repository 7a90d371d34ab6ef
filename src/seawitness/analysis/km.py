"""Kaplan--Meier for left-censored data, and the Peto--Prentice test between groups.

Both are survival analysis on "flipped" data (Helsel 2012, "Statistics for Censored
Environmental Data Using Minitab and R", 2nd ed., ch. 6 and sec. 9.3), computed here
directly on the left-censored scale: non-detects ("< DL") enter as "somewhere below
their limit", never as a number. Conventions follow R NADA 1.6-1.1 ``cenfit`` /
``cendiff`` and R ``survival::survdiff``, which they reproduce (see the tests). Values
carry their own unit (e.g. Bq/L); every location/scale result is in that unit.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from seawitness.analysis.censored_base import (
    DEFAULT_PERCENTILES,
    CensoredSummary,
    GroupTest,
    InsufficientData,
    check_applicable,
    prepare,
    t_ucl95,
)
from seawitness.errors import InputError

__all__ = ["QUANTILE_RULES", "kaplan_meier", "kaplan_meier_t_interval", "peto_prentice_test"]


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
    x, c = prepare(values, censored)
    n, n_det, pct = check_applicable(x, c, "Kaplan-Meier", 2)
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
        ucl95=t_ucl95(mean, se, n),
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
        x, c = prepare(vals, cens)
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
