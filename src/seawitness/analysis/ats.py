"""Kendall's tau and the Akritas--Theil--Sen line for left-censored values.

Akritas, Murphy & LaValley (1995), J. Am. Stat. Assoc. 90:170--177; Helsel (2012),
"Statistics for Censored Environmental Data Using Minitab and R", 2nd ed., sec. 12.2.
Non-detects ("< DL") stay limits: a pair counts in Kendall's S only when its order is
certain. The conventions follow R NADA ``cenken`` (Lee & Helsel; NADA 1.6-1.1, the code
by D. Lorenz for USGS) and NADA2 ``ATS`` / ``censeaken`` (Julian & Helsel), so that
their published outputs are reproduced; where NADA's root finding depends on its
bisection grid, the exact midpoint of the zero set is the default and NADA's grid is an
option (see :func:`akritas_theil_sen`).

Units: the slope is in (value unit) per (time unit); the intercept in the value unit.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from seawitness.analysis.kendall import (
    TrendInputError,
    TrendResult,
    as_xy,
    season_labels,
    tie_sizes,
    z_and_p,
)

__all__ = ["ATS_CONVENTIONS", "akritas_theil_sen", "censored_seasonal_kendall"]


def _censored_s(
    t: NDArray[np.float64], r: NDArray[np.float64], c: NDArray[np.bool_], *, strict: bool = False
) -> float:
    """Kendall S between uncensored ``t`` and left-censored ``r``.

    A pair counts when its order is certain: two detects compare as usual; a
    limit ``<L`` is below a detect ``d`` when ``L <= d``; two limits, or a
    limit above a detect, are ties (Helsel 2012, sec. 12.2). With ``strict`` a
    limit must be strictly below the detect (``L < d``): used on residuals whose
    limits were lowered by a small jitter, where ``L - jitter == d`` means the limit
    itself is above ``d`` and the order is not certain (NADA ``ktau_s``).
    """
    dt = np.sign(t[None, :] - t[:, None])  # [i, j] = sign(t_j - t_i)
    diff = r[None, :] - r[:, None]  # r_j - r_i
    ci, cj = c[:, None], c[None, :]
    sign = np.zeros_like(diff)
    both = ~ci & ~cj
    sign[both] = np.sign(diff[both])
    # i censored, j detected: r_i <= r_j (r_i < r_j if strict) means y_i < y_j -> +1
    m1 = ci & ~cj & ((diff > 0) if strict else (diff >= 0))
    sign[m1] = 1.0
    # j censored, i detected: r_j <= r_i (r_j < r_i if strict) means y_j < y_i -> -1
    m2 = ~ci & cj & ((diff < 0) if strict else (diff <= 0))
    sign[m2] = -1.0
    return float(np.sum(np.triu(dt * sign, k=1)))


def _censored_var(t: NDArray[np.float64], y: NDArray[np.float64], c: NDArray[np.bool_]) -> float:
    """Var(S) for left-censored y and uncensored t, with NADA ``cenken`` tie terms.

    Starts from ``n(n-1)(2n+5)/18`` and subtracts (i) the usual correction for
    ties among detected values (and among times, with cross terms), (ii) the
    same for non-detects sharing a limit, and (iii) for every non-detect the
    number of observations ranked below it minus the within-limit tie counts,
    the treatment of Akritas et al. (1995) as coded by D. Lorenz for USGS and
    in NADA ``cenken``.
    """
    n = y.size
    base = n * (n - 1) * (2 * n + 5) / 18.0
    # Rank order with limits just below equal detects.
    dely = np.min(np.diff(np.unique(y))) / 1000.0 if np.unique(y).size > 1 else 1e-9
    yy = y - dely * c
    order = np.argsort(yy, kind="stable")
    ys, cs = yy[order], c[order]
    u_det = tie_sizes(ys[~cs])
    u_cen = tie_sizes(ys[cs])
    v = tie_sizes(t)

    def tie_corr(u: NDArray[np.float64], vv: NDArray[np.float64]) -> float:
        out = (np.sum(u * (u - 1) * (2 * u + 5)) + np.sum(vv * (vv - 1) * (2 * vv + 5))) / 18.0
        if n > 2:
            out -= (
                np.sum(u * (u - 1) * (u - 2))
                * np.sum(vv * (vv - 1) * (vv - 2))
                / (9.0 * n * (n - 1) * (n - 2))
            )
        if n > 1:
            out -= np.sum(u * (u - 1)) * np.sum(vv * (vv - 1)) / (2.0 * n * (n - 1))
        return float(out)

    del_c = tie_corr(u_cen, np.array([]))
    del_u = tie_corr(u_det, v)
    pos = np.arange(n)
    below = float(np.sum(pos[cs]))  # observations ranked below each limit
    del_uc = below - float(np.sum(u_cen - 1))
    return base - del_c - del_uc - del_u


def _turnbull_median(
    left: NDArray[np.float64], right: NDArray[np.float64], tol: float = 1e-10
) -> float:
    """Median of the Turnbull (1976) NPMLE for interval-censored data ``[left, right]``.

    Returns the right end of the first innermost interval at which the
    estimated survival drops to 0.5 or below (the convention of NADA ``cenken``).
    """
    ends = [(v, 0) for v in left] + [(v, 1) for v in right]  # 0 = left end, sorts first at ties
    ends.sort()
    inner: list[tuple[float, float]] = []
    for (a, ka), (b, kb) in zip(ends, ends[1:], strict=False):
        if ka == 0 and kb == 1:
            inner.append((a, b))
    q = np.array([iv[0] for iv in inner])
    p_ = np.array([iv[1] for iv in inner])
    alpha = (left[:, None] <= q[None, :]) & (p_[None, :] <= right[:, None])
    w = np.full(len(inner), 1.0 / len(inner))
    for _ in range(100000):
        denom = alpha @ w
        new = w * (alpha / denom[:, None]).mean(axis=0)
        if np.max(np.abs(new - w)) < tol:
            w = new
            break
        w = new
    surv = 1.0 - np.cumsum(w)
    k = int(np.argmax(surv <= 0.5 + 1e-12))
    return float(p_[k])


#: Root-finding conventions of :func:`akritas_theil_sen`.
ATS_CONVENTIONS: tuple[str, ...] = ("midpoint", "nada", "nada2")

#: NADA ``kendallATS`` defaults: bisection stops when the bracket is narrower than this
#: (absolute, in slope units) or after this many steps.
NADA_TOL = 1e-7
NADA_ITER = 1000


def _exact_zero_set(s_of: Callable[[float], float], lo: float, hi: float) -> float:
    """Midpoint of ``{b : S(b) = 0}``, or of the jump of S across 0 (S non-increasing).

    Bisection on both ends to a relative width of 1e-10: the lower end is
    ``inf{b : S(b) <= 0}``, the upper end ``sup{b : S(b) >= 0}``.
    """
    tol = 1e-10 * max(1.0, abs(lo), abs(hi))

    def end(upper: bool) -> float:
        a, b = lo, hi
        while b - a > tol:
            mid = 0.5 * (a + b)
            sm = s_of(mid)
            if (sm >= 0) if upper else (sm > 0):
                a = mid
            else:
                b = mid
        return 0.5 * (a + b)

    return 0.5 * (end(False) + end(True))


def _nada_bisect(
    s_of: Callable[[float], float], lb: float, ub: float
) -> tuple[list[float], list[float]]:
    """NADA ``iter_s``: halve ``[lb, ub]`` towards a sign change of S until a midpoint has
    S = 0 or the bracket is narrower than :data:`NADA_TOL`; returns the last three
    points evaluated (``lb``, midpoint, ``ub``) and their S."""

    def step(a: float, b: float) -> tuple[list[float], list[float]]:
        pts = [a, 0.5 * (a + b), b]
        return pts, [s_of(x) for x in pts]

    bs, ss = step(lb, ub)
    for _ in range(NADA_ITER):
        b, sv = list(bs), list(ss)
        if sv[0] * sv[1] <= 0:
            sv[2], b[2] = sv[1], b[1]
        else:
            sv[0], b[0] = sv[1], b[1]
        if sv[1] == 0 or abs(b[2] - b[0]) <= NADA_TOL:
            break
        bs, ss = step(b[0], b[2])
    return bs, ss


def _nada_root(s_of: Callable[[float], float], lo: float, hi: float) -> float:
    """The slope NADA ``kendallATS`` returns from the bracket ``[lo, hi]``: bisect once,
    bisect again in each half of the last bracket, and average the two midpoints."""
    b, _ = _nada_bisect(s_of, lo, hi)
    lower, _ = _nada_bisect(s_of, b[0], b[1])
    upper, _ = _nada_bisect(s_of, b[1], b[2])
    return 0.5 * (upper[1] + lower[1])


def _pairwise_range(t: NDArray[np.float64], y: NDArray[np.float64]) -> tuple[float, float]:
    i, j = np.triu_indices(t.size, k=1)
    dtm = t[j] - t[i]
    ok = dtm != 0
    cand = (y[j] - y[i])[ok] / dtm[ok]
    return float(np.min(cand)), float(np.max(cand))


def _ats_slope(
    t: NDArray[np.float64], yj: NDArray[np.float64], c: NDArray[np.bool_], convention: str
) -> float:
    def s_of(b: float) -> float:
        return _censored_s(t, yj - b * t, c, strict=True)

    if convention == "nada2":  # NADA2 ktau_b: pairwise slopes of all values
        return _nada_root(s_of, *_pairwise_range(t, yj))
    lo, hi = _pairwise_range(t, np.where(c, 0.0, yj))  # NADA ktau_b: limits set to zero
    if convention == "nada":
        return _nada_root(s_of, lo, hi)
    span = max(hi - lo, 1e-12)
    while s_of(lo) < 0:
        lo -= span
    while s_of(hi) > 0:
        hi += span
    return _exact_zero_set(s_of, lo, hi)


def akritas_theil_sen(
    values: ArrayLike,
    censored: ArrayLike,
    times: ArrayLike | None = None,
    *,
    convention: str = "midpoint",
) -> TrendResult:
    """Kendall's tau and the Akritas--Theil--Sen line for left-censored values.

    Akritas, Murphy & LaValley (1995), J. Am. Stat. Assoc. 90:170--177; Helsel
    (2012) sec. 12.2; conventions of R NADA ``cenken`` (tau, p, intercept):

    * S counts the pairs whose order is certain (see ``_censored_s``); tau is
      tau-a ``S/(n(n-1)/2)``; Var(S) carries the censored tie corrections and
      p uses the continuity-corrected normal score.
    * The ATS slope is the value ``b`` at which Kendall's S between time and
      the residuals ``y - b t`` (a limit stays a limit) crosses zero; limits are
      first lowered by ``min(y)/1000`` so that ``<L`` sorts below a detect equal to
      ``L``. S(b) is a step function, zero on an interval (or jumping across zero):
      ``convention="midpoint"`` (default) returns the exact midpoint of that set,
      which for data without non-detects is the Theil--Sen median slope.
      ``"nada"`` reproduces NADA 1.6-1.1 ``cenken``: bisection from the range of
      pairwise slopes (limits set to zero), stopping at the first grid point with
      S = 0 (tolerance 1e-7, 1000 steps), then the mean of one more such search in
      each half; the answer is somewhere inside the zero set, where depends on the
      bracket (on NADA's ``DFe`` example, 1 % from the midpoint). ``"nada2"`` is the
      same search from NADA2 2.0.1's bracket (pairwise slopes of all values).
    * The intercept is the median of the residuals by the Turnbull estimate,
      a limit's residual lying in ``[-b t, L - b t]`` (values are >= 0).

    :param values: detected values and detection limits.
    :param censored: ``True`` where the value is a detection limit.
    :param times: uncensored explanatory variable (e.g. decimal years).
    :param convention: ``"midpoint"`` (default), ``"nada"`` or ``"nada2"``.
    """
    if convention not in ATS_CONVENTIONS:
        raise TrendInputError(
            f"convention must be one of {', '.join(ATS_CONVENTIONS)}; got {convention!r}"
        )
    t, y = as_xy(values, times)
    c = np.asarray(censored, dtype=bool)
    if c.shape != y.shape:
        raise TrendInputError(f"censored ({c.size}) and values ({y.size}) differ in length")
    n = y.size
    if n < 3:
        raise TrendInputError(f"Akritas-Theil-Sen needs at least 3 observations, got {n}")
    if np.count_nonzero(~c) < 2:
        raise TrendInputError("Akritas-Theil-Sen needs at least 2 detected values")

    s = _censored_s(t, y, c)
    var_s = _censored_var(t, y, c)
    z, p = z_and_p(s, var_s)
    tau = s / (n * (n - 1) / 2.0)

    yj = y - (np.min(y) / 1000.0) * c
    slope = _ats_slope(t, yj, c, convention)
    resid = yj - slope * t
    left = np.where(c, resid - yj, resid)
    intercept = _turnbull_median(left, resid)
    return TrendResult(s, var_s, z, p, tau, slope, intercept, n, "akritas-theil-sen")


def censored_seasonal_kendall(
    values: ArrayLike,
    censored: ArrayLike,
    times: ArrayLike | None,
    seasons: Sequence[Hashable],
    *,
    convention: str = "midpoint",
) -> TrendResult:
    """Seasonal Kendall test for left-censored values with an overall ATS line.

    S and Var(S) are summed over seasons from the censored Kendall statistic of
    :func:`akritas_theil_sen` (normal approximation; NADA2 ``censeaken``
    instead reports a permutation p-value). The slope and intercept are the
    Akritas--Theil--Sen line of all data, as printed by ``censeaken``, found by
    ``convention`` (see :func:`akritas_theil_sen`).
    """
    t, y = as_xy(values, times)
    c = np.asarray(censored, dtype=bool)
    seas = season_labels(list(seasons))
    if len(seas) != y.size or c.shape != y.shape:
        raise TrendInputError("values, censored and seasons differ in length")
    s_tot = var_tot = pairs = 0.0
    for g in dict.fromkeys(seas):
        idx = np.array([k for k, sg in enumerate(seas) if sg == g])
        if idx.size < 2:
            continue
        s_tot += _censored_s(t[idx], y[idx], c[idx])
        var_tot += _censored_var(t[idx], y[idx], c[idx])
        pairs += idx.size * (idx.size - 1) / 2.0
    if pairs == 0:
        raise TrendInputError("no season has two or more observations")
    overall = akritas_theil_sen(y, c, t, convention=convention)
    z, p = z_and_p(s_tot, var_tot)
    return TrendResult(
        s_tot,
        var_tot,
        z,
        p,
        s_tot / pairs,
        overall.sen_slope,
        overall.intercept,
        int(y.size),
        "seasonal-kendall-censored",
    )
