"""What the censored-data estimators share: the result record, input checks, refusals.

Used by :mod:`seawitness.analysis.censored` (ROS, lognormal MLE) and
:mod:`seawitness.analysis.km` (Kaplan--Meier, Peto--Prentice); import them from
:mod:`seawitness.analysis.censored`, which re-exports every public name.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from seawitness.errors import InputError

__all__ = [
    "DEFAULT_PERCENTILES",
    "MAX_PERCENT_CENSORED",
    "MIN_DETECTS_PARAMETRIC",
    "CensoredDataError",
    "CensoredSummary",
    "GroupTest",
    "InsufficientData",
    "MethodNotApplicable",
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
            "median": finite_or_none(self.median),
            "se_mean": self.se_mean,
            "ucl95": self.ucl95,
            "percentiles": {f"{k:g}": finite_or_none(v) for k, v in self.percentiles.items()},
            **({"extra": dict(self.extra)} if self.extra else {}),
        }


def finite_or_none(v: float) -> float | None:
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


def prepare(
    values: ArrayLike, censored: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    x = np.asarray(values, dtype=float)
    c = np.asarray(censored, dtype=bool)
    if x.ndim != 1 or c.ndim != 1:
        raise CensoredDataError("values and censored must be one-dimensional")
    if x.shape != c.shape:
        raise CensoredDataError(f"values ({x.size}) and censored ({c.size}) differ in length")
    if x.size == 0:
        raise InsufficientData("no observations")
    if not np.all(np.isfinite(x)):
        raise CensoredDataError("values must be finite numbers")
    return x, c


def check_applicable(
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


def t_ucl95(mean: float, se: float | None, n: int) -> float | None:
    if se is None or n < 2 or not math.isfinite(se):
        return None
    return mean + float(stats.t.ppf(0.95, n - 1)) * se
