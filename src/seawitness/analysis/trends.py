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

import datetime as _dt
import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from seawitness.errors import InputError

__all__ = [
    "TrendResult",
    "akritas_theil_sen",
    "kendall_s",
    "mann_kendall",
    "seasonal_kendall",
    "seasons_from_time",
    "sen_slope",
    "to_decimal_years",
]


class TrendInputError(InputError):
    """Inputs unusable for a trend test (length mismatch, too few points...)."""


@dataclass(frozen=True)
class TrendResult:
    """Result of a Kendall-type trend test.

    :ivar S: Kendall's S statistic.
    :ivar var_S: variance of S under H0 (tie-corrected).
    :ivar z: continuity-corrected normal score ``(S - sign S)/sqrt(var_S)``.
    :ivar p: two-sided p-value from the normal approximation.
    :ivar tau: Kendall's tau-a, ``S / (number of pairs)``.
    :ivar sen_slope: slope in value unit per time unit.
    :ivar intercept: intercept at time 0 (value unit).
    :ivar n: number of observations used.
    :ivar method: name of the procedure.
    """

    S: float
    var_S: float
    z: float
    p: float
    tau: float
    sen_slope: float
    intercept: float
    n: int
    method: str

    def as_dict(self) -> dict[str, float | int | str]:
        """Plain-JSON representation."""
        return {
            "S": self.S,
            "var_S": self.var_S,
            "z": self.z,
            "p": self.p,
            "tau": self.tau,
            "sen_slope": self.sen_slope,
            "intercept": self.intercept,
            "n": self.n,
            "method": self.method,
        }


# --------------------------------------------------------------------------- helpers


def to_decimal_years(times: Sequence[_dt.date | _dt.datetime]) -> NDArray[np.float64]:
    """Convert dates or datetimes to decimal calendar years.

    ``year + (t - Jan 1 of year) / (length of that year)``, so 2009-01-06 is
    2009 + 5/365 = 2009.0137 (the ``dectime`` convention of USGS/NADA2 data).
    Timezone-aware datetimes are converted to UTC first.
    """
    out = np.empty(len(times))
    for i, t in enumerate(times):
        if isinstance(t, _dt.datetime):
            if t.tzinfo is not None:
                t = t.astimezone(_dt.UTC).replace(tzinfo=None)
            start = _dt.datetime(t.year, 1, 1)
            end = _dt.datetime(t.year + 1, 1, 1)
            out[i] = t.year + (t - start).total_seconds() / (end - start).total_seconds()
        elif isinstance(t, _dt.date):
            start_d = _dt.date(t.year, 1, 1)
            days = (_dt.date(t.year + 1, 1, 1) - start_d).days
            out[i] = t.year + (t - start_d).days / days
        else:
            raise TypeError(f"not a date or datetime: {t!r}")
    return out


def seasons_from_time(times: Sequence[_dt.date | float], period: int) -> list[int]:
    """Derive season labels ``0 .. period-1`` from sampling times.

    * dates/datetimes: the calendar year is split into ``period`` equal blocks
      of months (``period`` must divide 12: 12 = months, 4 = quarters, 2 = halves);
    * numbers: ``floor(t) mod period`` (times counted in steps, e.g. month index).
    """
    if period < 1:
        raise TrendInputError("period must be a positive integer")
    seq = list(times)
    dates = [t for t in seq if isinstance(t, _dt.date)]
    if dates:
        if len(dates) != len(seq):
            raise TrendInputError("times mix dates and numbers")
        if 12 % period:
            raise TrendInputError("with dates, --period must divide 12 (12, 6, 4, 3, 2, 1)")
        months_per = 12 // period
        return [(t.month - 1) // months_per for t in dates]
    return [int(math.floor(float(v))) % period for v in seq]  # type: ignore[arg-type]


def _as_xy(
    values: ArrayLike, times: ArrayLike | None
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    y = np.asarray(values, dtype=float)
    if y.ndim != 1:
        raise TrendInputError("values must be one-dimensional")
    t = np.arange(y.size, dtype=float) if times is None else np.asarray(times, dtype=float)
    if t.shape != y.shape:
        raise TrendInputError(f"times ({t.size}) and values ({y.size}) differ in length")
    if not (np.all(np.isfinite(y)) and np.all(np.isfinite(t))):
        raise TrendInputError("times and values must be finite numbers")
    return t, y


def _tie_sizes(a: NDArray[np.float64]) -> NDArray[np.float64]:
    _, counts = np.unique(a, return_counts=True)
    return counts[counts > 1].astype(float)


def kendall_s(times: ArrayLike, values: ArrayLike) -> tuple[float, float]:
    """Kendall's S between time and value and its tie-corrected variance.

    ``S = sum_{i<j} sign(t_j - t_i) sign(y_j - y_i)``. With ties of extent
    ``u`` in the values and ``v`` in the times (Kendall 1975, eq. 4.4)::

        Var S = [n(n-1)(2n+5) - sum u(u-1)(2u+5) - sum v(v-1)(2v+5)] / 18
                + [sum u(u-1)(u-2)] [sum v(v-1)(v-2)] / [9 n(n-1)(n-2)]
                + [sum u(u-1)] [sum v(v-1)] / [2 n(n-1)]

    which is Gilbert (1987) eq. 16.4 when all times are distinct.
    """
    t, y = _as_xy(values, times)
    n = y.size
    dt = np.sign(t[None, :] - t[:, None])
    dy = np.sign(y[None, :] - y[:, None])
    s = float(np.sum(np.triu(dt * dy, k=1)))
    return s, _kendall_var(n, _tie_sizes(y), _tie_sizes(t))


def _kendall_var(n: int, u: NDArray[np.float64], v: NDArray[np.float64]) -> float:
    var = (
        n * (n - 1) * (2 * n + 5)
        - np.sum(u * (u - 1) * (2 * u + 5))
        - np.sum(v * (v - 1) * (2 * v + 5))
    ) / 18.0
    if n > 2:
        var += (
            np.sum(u * (u - 1) * (u - 2))
            * np.sum(v * (v - 1) * (v - 2))
            / (9.0 * n * (n - 1) * (n - 2))
        )
    if n > 1:
        var += np.sum(u * (u - 1)) * np.sum(v * (v - 1)) / (2.0 * n * (n - 1))
    return float(var)


def _z_and_p(s: float, var_s: float) -> tuple[float, float]:
    if var_s <= 0:
        return 0.0, 1.0
    z = (s - math.copysign(1.0, s)) / math.sqrt(var_s) if s != 0 else 0.0
    return z, float(2.0 * stats.norm.sf(abs(z)))


def sen_slope(values: ArrayLike, times: ArrayLike | None = None) -> tuple[float, float]:
    """Theil--Sen slope on real times and Conover's intercept.

    slope = median over pairs with ``t_i != t_j`` of ``(y_j - y_i)/(t_j - t_i)``
    (Sen 1968; Gilbert 1987 sec. 16.5); intercept = ``median(y) - slope *
    median(t)`` (Conover 1980, as pymannkendall / R ``zyp``). Without
    ``times`` the index 0..n-1 is used.

    :returns: ``(slope, intercept)``, slope in value unit per time unit.
    """
    t, y = _as_xy(values, times)
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
    t, y = _as_xy(values, times)
    n = y.size
    if n < 3:
        raise TrendInputError(f"Mann-Kendall needs at least 3 observations, got {n}")
    s, var_s = kendall_s(t, y)
    z, p = _z_and_p(s, var_s)
    slope, intercept = sen_slope(y, t)
    return TrendResult(s, var_s, z, p, s / (n * (n - 1) / 2.0), slope, intercept, n, "mann-kendall")


def seasonal_kendall(
    values: ArrayLike, times: ArrayLike | None, seasons: Sequence[Hashable]
) -> TrendResult:
    """Seasonal Kendall test (Hirsch, Slack & Smith 1982; Gilbert 1987 ch. 17).

    ``S = sum_g S_g``, ``Var S = sum_g Var S_g`` (tie-corrected per season, no
    serial-covariance term), continuity-corrected z, two-sided p;
    ``tau = S / sum_g n_g(n_g - 1)/2``. Slope: median of all within-season
    pairwise slopes on the real times (the seasonal Kendall slope estimator of
    Hirsch et al. 1982); intercept ``median(y) - slope * median(t)``.
    Seasons with fewer than 2 observations contribute nothing.
    """
    t, y = _as_xy(values, times)
    seas = list(seasons)
    if len(seas) != y.size:
        raise TrendInputError(f"seasons ({len(seas)}) and values ({y.size}) differ in length")
    s_tot, var_tot, pairs = 0.0, 0.0, 0.0
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
    z, p = _z_and_p(s_tot, var_tot)
    intercept = float(np.median(y) - slope * np.median(t))
    return TrendResult(
        s_tot, var_tot, z, p, s_tot / pairs, slope, intercept, int(y.size), "seasonal-kendall"
    )


# --------------------------------------------------------------------------- censored


def _censored_s(t: NDArray[np.float64], r: NDArray[np.float64], c: NDArray[np.bool_]) -> float:
    """Kendall S between uncensored ``t`` and left-censored ``r``.

    A pair counts when its order is certain: two detects compare as usual; a
    limit ``<L`` is below a detect ``d`` when ``L <= d``; two limits, or a
    limit above a detect, are ties (Helsel 2012, sec. 12.2).
    """
    dt = np.sign(t[None, :] - t[:, None])  # [i, j] = sign(t_j - t_i)
    diff = r[None, :] - r[:, None]  # r_j - r_i
    ci, cj = c[:, None], c[None, :]
    sign = np.zeros_like(diff)
    both = ~ci & ~cj
    sign[both] = np.sign(diff[both])
    # i censored, j detected: r_i <= r_j means y_i < y_j -> +1
    m1 = ci & ~cj & (diff >= 0)
    sign[m1] = 1.0
    # j censored, i detected: r_j <= r_i means y_j < y_i -> -1
    m2 = ~ci & cj & (diff <= 0)
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
    u_det = _tie_sizes(ys[~cs])
    u_cen = _tie_sizes(ys[cs])
    v = _tie_sizes(t)

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


def akritas_theil_sen(
    values: ArrayLike, censored: ArrayLike, times: ArrayLike | None = None
) -> TrendResult:
    """Kendall's tau and the Akritas--Theil--Sen line for left-censored values.

    Akritas, Murphy & LaValley (1995), J. Am. Stat. Assoc. 90:170--177; Helsel
    (2012) sec. 12.2; conventions of R NADA ``cenken`` (slope, tau, p) so that
    published NADA/NADA2 outputs are reproduced:

    * S counts the pairs whose order is certain (see ``_censored_s``); tau is
      tau-a ``S/(n(n-1)/2)``; Var(S) carries the censored tie corrections and
      p uses the continuity-corrected normal score.
    * The ATS slope is the value ``b`` at which Kendall's S between time and
      the residuals ``y - b t`` (a limit stays a limit) changes sign, found by
      bisection; limits are first lowered by ``min(y)/1000`` so that ``<L``
      sorts below a detect equal to ``L``. When S = 0 on an interval the
      midpoint of its ends is returned.
    * The intercept is the median of the residuals by the Turnbull estimate,
      a limit's residual lying in ``[-b t, L - b t]`` (values are >= 0).

    :param values: detected values and detection limits.
    :param censored: ``True`` where the value is a detection limit.
    :param times: uncensored explanatory variable (e.g. decimal years).
    """
    t, y = _as_xy(values, times)
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
    z, p = _z_and_p(s, var_s)
    tau = s / (n * (n - 1) / 2.0)

    yj = y - (np.min(y) / 1000.0) * c

    def s_of(b: float) -> float:
        return _censored_s(t, yj - b * t, c)

    # Bracket from pairwise slopes (limits set to zero, as NADA ktau_b).
    ydet = np.where(c, 0.0, yj)
    i, j = np.triu_indices(n, k=1)
    dtm = t[j] - t[i]
    ok = dtm != 0
    cand = (ydet[j] - ydet[i])[ok] / dtm[ok]
    lo, hi = float(np.min(cand)), float(np.max(cand))
    span = max(hi - lo, 1e-12)
    while s_of(lo) < 0:
        lo -= span
    while s_of(hi) > 0:
        hi += span

    tol = 1e-10 * max(1.0, abs(lo), abs(hi))

    def boundary(positive_side_low: bool) -> float:
        # S(b) is non-increasing in b. Lower end: inf{b: S(b) <= 0};
        # upper end: sup{b: S(b) >= 0}.
        a, bnd = lo, hi
        while bnd - a > tol:
            mid = 0.5 * (a + bnd)
            sm = s_of(mid)
            if positive_side_low:
                if sm > 0:
                    a = mid
                else:
                    bnd = mid
            else:
                if sm >= 0:
                    a = mid
                else:
                    bnd = mid
        return 0.5 * (a + bnd)

    b_low = boundary(True)
    b_high = boundary(False)
    slope = 0.5 * (b_low + b_high)

    resid = yj - slope * t
    left = np.where(c, resid - yj, resid)
    intercept = _turnbull_median(left, resid)
    return TrendResult(s, var_s, z, p, tau, slope, intercept, n, "akritas-theil-sen")


def censored_seasonal_kendall(
    values: ArrayLike,
    censored: ArrayLike,
    times: ArrayLike | None,
    seasons: Sequence[Hashable],
) -> TrendResult:
    """Seasonal Kendall test for left-censored values with an overall ATS line.

    S and Var(S) are summed over seasons from the censored Kendall statistic of
    :func:`akritas_theil_sen` (normal approximation; NADA2 ``censeaken``
    instead reports a permutation p-value). The slope and intercept are the
    Akritas--Theil--Sen line of all data, as printed by ``censeaken``.
    """
    t, y = _as_xy(values, times)
    c = np.asarray(censored, dtype=bool)
    seas = list(seasons)
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
    overall = akritas_theil_sen(y, c, t)
    z, p = _z_and_p(s_tot, var_tot)
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


__all__ += ["TrendInputError", "censored_seasonal_kendall"]
