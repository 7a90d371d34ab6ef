"""The Kendall statistic and what every Kendall-type trend test shares.

Kendall's S with its tie-corrected variance (Kendall 1975), the normal score and p, the
result record, and the handling of times and seasons: decimal years from dates and
season labels from times (:func:`seasons_from_time`), so that the tests in
:mod:`seawitness.analysis.trends` and :mod:`seawitness.analysis.ats` read their inputs
the same way. Times are numbers in any unit (decimal years for slopes per year).
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
    "SEASON_SNAP",
    "TrendInputError",
    "TrendResult",
    "kendall_s",
    "season_labels",
    "seasons_from_time",
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
    :ivar tau_b: Kendall's tau-b, ``S / D`` with ``D`` the tie-adjusted denominator
        ``sqrt((n0 - n1)(n0 - n2))`` (summed over seasons for a seasonal test), the tau
        printed by R ``Kendall``; None where not computed.
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
    tau_b: float | None = None

    def as_dict(self) -> dict[str, float | int | str | None]:
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
            "tau_b": self.tau_b,
        }


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


#: How close (in seasons) a numeric time must be to a season boundary to count as on it.
#: A monthly series printed in decimal years (1903.0833 for February 1903) is 4e-4 of a
#: month short of the boundary; the float of 1903 + 1/12 is 1e-13 short. Both must fall
#: in the season they name, whatever the rounding; a real sampling time that close to a
#: boundary (under 45 minutes for months) is also counted in the later season.
SEASON_SNAP = 1e-3


def seasons_from_time(
    times: Sequence[_dt.date | float], period: int, *, cycle: float = 1.0
) -> list[int]:
    """Derive season labels ``0 .. period-1`` from sampling times.

    * dates/datetimes: the calendar year is split into ``period`` equal blocks
      of months (``period`` must divide 12: 12 = months, 4 = quarters, 2 = halves);
    * numbers: times in units where one cycle (a year, for decimal years) lasts
      ``cycle``; the cycle is split into ``period`` equal blocks and a time's season is
      ``floor(t * period / cycle) mod period``, the position R's ``cycle()`` gives a
      regular ``ts``. A time within :data:`SEASON_SNAP` of a season of a boundary is put
      on the boundary, so that seasons never depend on how the times were rounded
      (1903.0833 and 1903 + 1/12 are both February). Times counted in steps (0, 1,
      2, ... months) use ``cycle=period``.

    Decimal years from real dates split the year into equal blocks, which differ from
    calendar months by up to two days; pass dates to use calendar months.
    """
    if period < 1:
        raise TrendInputError("period must be a positive integer")
    if not (math.isfinite(cycle) and cycle > 0):
        raise TrendInputError(f"cycle must be a positive number of time units, got {cycle!r}")
    seq = list(times)
    dates = [t for t in seq if isinstance(t, _dt.date)]
    if dates:
        if len(dates) != len(seq):
            raise TrendInputError("times mix dates and numbers")
        if 12 % period:
            raise TrendInputError("with dates, --period must divide 12 (12, 6, 4, 3, 2, 1)")
        months_per = 12 // period
        return [(t.month - 1) // months_per for t in dates]
    out = []
    for v in seq:
        k = float(v) * period / cycle  # type: ignore[arg-type]
        if not math.isfinite(k):
            raise TrendInputError(f"times must be finite numbers, got {v!r}")
        nearest = round(k)
        step = nearest if abs(k - nearest) <= SEASON_SNAP else math.floor(k)
        out.append(int(step) % period)
    return out


def season_labels(seasons: Sequence[Hashable]) -> list[Hashable]:
    """Season labels with numbers written differently made equal.

    A season column read from a file holds text: ``"1"``, ``"1.0"`` and ``"01"`` are the
    same month and must not make three seasons. Text that reads as a finite number
    becomes that number (``1.0 == 1``); any other label is kept as it is.
    """
    out: list[Hashable] = []
    for g in seasons:
        if isinstance(g, str):
            try:
                num = float(g)
            except ValueError:
                out.append(g.strip())
                continue
            out.append(num if math.isfinite(num) else g.strip())
        else:
            out.append(g)
    return out


def as_xy(
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


def tie_sizes(a: NDArray[np.float64]) -> NDArray[np.float64]:
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
    t, y = as_xy(values, times)
    n = y.size
    dt = np.sign(t[None, :] - t[:, None])
    dy = np.sign(y[None, :] - y[:, None])
    s = float(np.sum(np.triu(dt * dy, k=1)))
    return s, kendall_var(n, tie_sizes(y), tie_sizes(t))


def kendall_var(n: int, u: NDArray[np.float64], v: NDArray[np.float64]) -> float:
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


def tau_b_denominator(t: NDArray[np.float64], y: NDArray[np.float64]) -> float:
    """``sqrt((n0 - n1)(n0 - n2))``: n0 = n(n-1)/2 pairs, n1 and n2 tied pairs in t and y."""
    n0 = y.size * (y.size - 1) / 2.0
    u, v = tie_sizes(y), tie_sizes(t)
    n1 = float(np.sum(v * (v - 1) / 2.0))
    n2 = float(np.sum(u * (u - 1) / 2.0))
    return math.sqrt(max(n0 - n1, 0.0) * max(n0 - n2, 0.0))


def z_and_p(s: float, var_s: float, continuity: bool = True) -> tuple[float, float]:
    """Normal score and two-sided p; with ``continuity`` the score is (S - sign S)/sqrt(Var)."""
    if var_s <= 0:
        return 0.0, 1.0
    shift = math.copysign(1.0, s) if continuity and s != 0 else 0.0
    z = (s - shift) / math.sqrt(var_s) if s != 0 else 0.0
    return z, float(2.0 * stats.norm.sf(abs(z)))
