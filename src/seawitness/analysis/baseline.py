"""Before/after comparison of a station's results against its pre-discharge baseline.

For one station (or every station of a zone) and one nuclide, the current results in the
store are split at the start of the ALPS treated-water discharge and each side is
summarised with censored-data statistics; the two sides are compared and the
post-discharge series is tested for a monotonic trend:

* summaries -- Kaplan--Meier by default (or ROS / lognormal MLE), through
  :func:`seawitness.analysis.censored.summarize` (Helsel [1]_ ch. 6). A side that is
  unfit (more than 80 % non-detects, fewer than 2 detects) is **not** summarised: the
  refusal says why, and only the detection frequency, the detection limits and the
  detected range are reported, as Helsel advises;
* difference -- the Peto--Prentice generalized Wilcoxon test
  (:func:`~seawitness.analysis.censored.peto_prentice_test`; Helsel [1]_ sec. 9.3),
  which uses the non-detects as "below their limit" without substituting a value;
* trend after the discharge -- Mann--Kendall with the Theil--Sen slope when every result
  is detected, else Kendall's tau with the Akritas--Theil--Sen line (Helsel [1]_ ch. 12;
  :mod:`seawitness.analysis.trends`). For a zone, the pooled trend is the *regional*
  Kendall test (Helsel & Frans [2]_): Kendall's S summed over stations, each station
  compared only with itself, with the ATS line of all results;
* the largest post-discharge detected results, with station, sampling time and source.

Units: values, limits, means and medians are in the unit of the series (e.g. Bq/L);
slopes are in that unit per year (decimal years, :func:`trends.to_decimal_years`).

Sources of one station. The same station code may come from two publications of the same
TEPCO results, e.g. the NRA workbook (2011--2023) and ORBS (2021--); they carry the same
``org`` and station code and are treated as one series. Results published twice are
recognised as identical (station, sampling time, detection code, value) and kept once;
the count of removed duplicates and the results per source are part of every report.
Replicate results of one sampling with *different* values (e.g. a re-count with a longer
counting time) are all kept.

References
----------
.. [1] Helsel, D. R., Statistics for Censored Environmental Data Using Minitab and R,
   2nd ed., Wiley, 2012.
.. [2] Helsel, D. R. and Frans, L. M., Regional Kendall test for trend, Environmental
   Science & Technology 40(13):4066--4073, 2006.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import numpy as np
from scipy import stats

from seawitness.analysis import censored as cen
from seawitness.analysis import trends as tr
from seawitness.analysis.from_store import current_measurements, station_zones
from seawitness.errors import InputError
from seawitness.harmonize.units import ConversionError, conversion_factor
from seawitness.model.records import Detection, Measurement
from seawitness.store.store import Query, Store

__all__ = [
    "DISCHARGE_START",
    "BaselineError",
    "BeforeAfter",
    "Observation",
    "PeriodSummary",
    "ZoneBeforeAfter",
    "DEFAULT_BASELINE_SINCE",
    "compare_before_after",
    "observations",
    "regional_trend",
    "shift_score",
    "unique_results",
    "station_baseline",
    "zone_baseline",
]

#: Start of the first ALPS treated-water discharge from Fukushima Daiichi:
#: 24 August 2023, 13:03 JST (04:03 UTC), as announced by TEPCO on the day.
DISCHARGE_START = datetime(2023, 8, 24, 4, 3, tzinfo=UTC)

#: Default start of the pre-discharge baseline: 1 January 2020. Earlier results include
#: the 2011 accident and its aftermath, with far higher levels and detection limits (up
#: to 130 Bq/L for tritium near the plant in 2011), which are no baseline for the
#: discharge. Pass ``baseline_since=None`` to use every pre-discharge result.
DEFAULT_BASELINE_SINCE = datetime(2020, 1, 1, tzinfo=UTC)


class BaselineError(InputError):
    """No usable series (no results, or units that cannot be put on one scale)."""


@dataclass(frozen=True, slots=True)
class Observation:
    """One result of the series: a detected value or a detection limit.

    :ivar value: the result, or the detection limit when ``censored`` [series unit].
    :ivar censored: True for a "< limit" result.
    """

    station: str
    time: datetime
    value: float
    censored: bool
    source: str

    def as_dict(self) -> dict[str, Any]:
        """Plain-JSON representation."""
        return {
            "station": self.station,
            "time": self.time.isoformat(),
            "value": self.value,
            "censored": self.censored,
            "source": self.source,
        }


@dataclass(frozen=True)
class PeriodSummary:
    """One side of the comparison (before or after the discharge start).

    ``summary`` is the censored-data summary, or None with ``refusal`` saying why the
    data are unfit for it; detection frequency, limits and detected range are always
    given. All values are in the series unit.
    """

    label: str
    n: int
    n_detected: int
    first: datetime | None
    last: datetime | None
    detected_min: float | None
    detected_max: float | None
    detected_median: float | None
    limit_min: float | None
    limit_median: float | None
    limit_max: float | None
    summary: cen.CensoredSummary | None
    refusal: str | None

    @property
    def percent_censored(self) -> float | None:
        """Percentage of results that are "< limit" (None with no results)."""
        return 100.0 * (self.n - self.n_detected) / self.n if self.n else None

    def as_dict(self) -> dict[str, Any]:
        """Plain-JSON representation."""
        return {
            "label": self.label,
            "n": self.n,
            "n_detected": self.n_detected,
            "percent_censored": self.percent_censored,
            "first": self.first.isoformat() if self.first else None,
            "last": self.last.isoformat() if self.last else None,
            "detected": {
                "min": self.detected_min,
                "median": self.detected_median,
                "max": self.detected_max,
            },
            "detection_limits": {
                "min": self.limit_min,
                "median": self.limit_median,
                "max": self.limit_max,
            },
            "summary": self.summary.as_dict() if self.summary else None,
            "refusal": self.refusal,
        }


@dataclass(frozen=True)
class BeforeAfter:
    """Before/after comparison for one station, or the pooled stations of a zone."""

    scope: str
    stations: tuple[str, ...]
    nuclide: str
    unit: str
    discharge_start: datetime
    baseline_since: datetime | None
    before: PeriodSummary
    after: PeriodSummary
    test: cen.GroupTest | None
    test_refusal: str | None
    shift: float | None
    trend: tr.TrendResult | None
    trend_refusal: str | None
    largest: list[Observation]
    sources: dict[str, int]
    duplicates_removed: int
    without_limit: int
    notes: list[str] = field(default_factory=list)

    @property
    def direction(self) -> str:
        """``"higher after"``, ``"lower after"`` or ``"no significant difference"``.

        A difference is significant when the Peto--Prentice p < 0.05; its direction is
        the sign of :attr:`shift`.
        """
        if self.test is None or self.shift is None:
            return "not tested"
        if self.test.p >= 0.05 or self.shift == 0:
            return "no significant difference"
        return "higher after" if self.shift > 0 else "lower after"

    def as_dict(self) -> dict[str, Any]:
        """Plain-JSON representation (slopes per year)."""
        return {
            "scope": self.scope,
            "stations": list(self.stations),
            "nuclide": self.nuclide,
            "unit": self.unit,
            "discharge_start": self.discharge_start.isoformat(),
            "baseline_since": self.baseline_since.isoformat() if self.baseline_since else None,
            "before": self.before.as_dict(),
            "after": self.after.as_dict(),
            "test": (
                {
                    "method": self.test.method,
                    "statistic": self.test.statistic,
                    "df": self.test.df,
                    "p": self.test.p,
                }
                if self.test
                else None
            ),
            "test_refusal": self.test_refusal,
            "shift": self.shift,
            "direction": self.direction,
            "trend_after": (
                {**self.trend.as_dict(), "slope_unit": f"{self.unit}/year"} if self.trend else None
            ),
            "trend_refusal": self.trend_refusal,
            "largest_after": [o.as_dict() for o in self.largest],
            "sources": dict(self.sources),
            "duplicates_removed": self.duplicates_removed,
            "without_limit": self.without_limit,
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class ZoneBeforeAfter:
    """A zone: the pooled comparison and one comparison per station."""

    zone: str
    pooled: BeforeAfter
    stations: list[BeforeAfter]

    def as_dict(self) -> dict[str, Any]:
        """Plain-JSON representation."""
        return {
            "zone": self.zone,
            "pooled": self.pooled.as_dict(),
            "stations": [s.as_dict() for s in self.stations],
        }


# --------------------------------------------------------------------------- series


def _target_unit(ms: Sequence[Measurement]) -> tuple[str, str]:
    (unit, basis), _ = Counter((m.unit, m.basis.value) for m in ms).most_common(1)[0]
    return unit, basis


def unique_results(measurements: Iterable[Measurement]) -> list[Measurement]:
    """Drop results published more than once (same station, nuclide, medium, sampling time,
    detection code, value and unit), keeping the first; order is preserved.

    Used where results of two publications of the same data (the NRA workbook and ORBS)
    feed one series without unit conversion, e.g. the alert charts.
    """
    seen: set[tuple[Any, ...]] = set()
    out: list[Measurement] = []
    for m in measurements:
        key = (m.station, m.nuclide, m.medium, m.sampled_at, m.detection, m.value, m.unit, m.basis)
        if key not in seen:
            seen.add(key)
            out.append(m)
    return out


def observations(
    measurements: Iterable[Measurement],
) -> tuple[list[Observation], str, dict[str, int], int, int]:
    """The de-duplicated, time-ordered series of a set of results on one unit.

    Non-detects without a limit (``ND``) carry no information for these methods and are
    counted, not used. Results in another unit are converted to the most common one
    (:func:`seawitness.harmonize.units.conversion_factor`). Identical results --
    same station, sampling time, detection code and value after conversion -- are kept
    once, whatever their source.

    :returns: ``(observations, unit, results per source, duplicates removed,
        results without a limit)``.
    :raises BaselineError: no results, or a unit that cannot be converted.
    """
    ms = [m for m in measurements]
    if not ms:
        raise BaselineError("no results")
    usable = [m for m in ms if m.value is not None and m.detection is not Detection.NOT_DETECTED]
    without = len(ms) - len(usable)
    if not usable:
        raise BaselineError(f"none of the {len(ms)} results has a value or a detection limit")
    unit, basis = _target_unit(usable)
    seen: set[tuple[str, datetime, bool, float]] = set()
    out: list[Observation] = []
    per_source: Counter[str] = Counter()
    dups = 0
    for m in sorted(usable, key=lambda m: (m.sampled_at, m.station)):
        assert m.value is not None
        f = 1.0
        if (m.unit, m.basis.value) != (unit, basis):
            try:
                f = conversion_factor(
                    m.unit, unit, nuclide=m.nuclide, basis=m.basis, to_basis=basis
                )
            except ConversionError as exc:
                raise BaselineError(
                    f"{m.station} {m.sampled_at:%Y-%m-%d}: cannot express {m.unit} "
                    f"({m.basis.value}) in {unit} ({basis}): {exc}"
                ) from None
        censored = m.detection is Detection.BELOW_LIMIT
        value = m.value * f
        key = (m.station, m.sampled_at, censored, round(value, 12))
        if key in seen:
            dups += 1
            continue
        seen.add(key)
        src = m.source or m.org
        per_source[src] += 1
        out.append(Observation(m.station, m.sampled_at, value, censored, src))
    return out, unit, dict(per_source), dups, without


def _period(label: str, obs: Sequence[Observation], method: str) -> PeriodSummary:
    det = sorted(o.value for o in obs if not o.censored)
    lim = sorted(o.value for o in obs if o.censored)
    summary: cen.CensoredSummary | None = None
    refusal: str | None = None
    if not obs:
        refusal = "no results in this period"
    else:
        try:
            summary = cen.summarize([o.value for o in obs], [o.censored for o in obs], method)
        except cen.CensoredDataError as exc:
            refusal = str(exc)
    return PeriodSummary(
        label=label,
        n=len(obs),
        n_detected=len(det),
        first=obs[0].time if obs else None,
        last=obs[-1].time if obs else None,
        detected_min=det[0] if det else None,
        detected_max=det[-1] if det else None,
        detected_median=statistics.median(det) if det else None,
        limit_min=lim[0] if lim else None,
        limit_median=statistics.median(lim) if lim else None,
        limit_max=lim[-1] if lim else None,
        summary=summary,
        refusal=refusal,
    )


def shift_score(after: Sequence[Observation], before: Sequence[Observation]) -> float:
    """Direction of a difference between two censored samples, in [-1, 1].

    ``P(a > b) - P(a < b)`` over all pairs of an "after" result ``a`` and a "before"
    result ``b``, counting only orders that are certain with non-detects: two detects
    compare by value; a detect ``d`` is above ``<L`` when ``d >= L``; two limits, or a
    limit above a detect, are ties. This is the pair score of Gehan's (1965)
    generalized Wilcoxon test, scaled by the number of pairs; the test statistic here
    is Peto--Prentice, this only gives the sign and a size of the shift.
    """
    if not after or not before:
        raise BaselineError("both sides need results")
    av = np.array([o.value for o in after])[:, None]
    ac = np.array([o.censored for o in after])[:, None]
    bv = np.array([o.value for o in before])[None, :]
    bc = np.array([o.censored for o in before])[None, :]
    greater = (~ac & ~bc & (av > bv)) | (~ac & bc & (av >= bv))
    less = (~ac & ~bc & (av < bv)) | (ac & ~bc & (bv >= av))
    return float((np.count_nonzero(greater) - np.count_nonzero(less)) / (av.size * bv.size))


def _trend(obs: Sequence[Observation]) -> tuple[tr.TrendResult | None, str | None]:
    n_det = sum(not o.censored for o in obs)
    if len(obs) < 3 or n_det < 2:
        return None, (
            f"{len(obs)} result(s), {n_det} detected after the discharge start: a trend "
            "test needs at least 3 results of which 2 detected"
        )
    t = tr.to_decimal_years([o.time for o in obs])
    y = [o.value for o in obs]
    c = [o.censored for o in obs]
    try:
        if any(c):
            return tr.akritas_theil_sen(y, c, t), None
        return tr.mann_kendall(y, t), None
    except tr.TrendInputError as exc:
        return None, str(exc)


def regional_trend(per_station: Sequence[tr.TrendResult]) -> tr.TrendResult:
    """Regional Kendall test from the trend tests of single stations (Helsel & Frans [2]_).

    ``S = sum_k S_k`` and ``Var S = sum_k Var S_k`` (stations assumed independent, no
    cross-correlation term), continuity-corrected ``z = (S - sign S)/sqrt(Var S)`` and
    two-sided normal p; ``tau = S / sum_k n_k (n_k - 1)/2``. Each station is compared only
    with itself, so differences in level between stations do not create a trend. The
    slope reported is the **median of the stations' slopes** (Theil--Sen or
    Akritas--Theil--Sen) [value unit per time unit], and the intercept is NaN: a pooled
    Akritas--Theil--Sen line over thousands of results is not computed.

    :raises BaselineError: no station result.
    """
    if not per_station:
        raise BaselineError("no station has a trend result")
    s_tot = sum(r.S for r in per_station)
    var_tot = sum(r.var_S for r in per_station)
    pairs = sum(r.n * (r.n - 1) / 2.0 for r in per_station)
    z = (s_tot - math.copysign(1.0, s_tot)) / math.sqrt(var_tot) if s_tot and var_tot > 0 else 0.0
    p = float(2.0 * stats.norm.sf(abs(z)))
    return tr.TrendResult(
        S=s_tot,
        var_S=var_tot,
        z=z,
        p=p,
        tau=s_tot / pairs if pairs else math.nan,
        sen_slope=float(statistics.median(r.sen_slope for r in per_station)),
        intercept=math.nan,
        n=sum(r.n for r in per_station),
        method="regional-kendall",
    )


def compare_before_after(
    measurements: Iterable[Measurement],
    *,
    scope: str | None = None,
    discharge_start: datetime = DISCHARGE_START,
    baseline_since: datetime | None = DEFAULT_BASELINE_SINCE,
    until: datetime | None = None,
    method: str = "km",
    top: int = 5,
    trend: bool = True,
) -> BeforeAfter:
    """Compare results before and after ``discharge_start`` (see the module docstring).

    Parameters
    ----------
    measurements : iterable of Measurement
        Results of one nuclide (one station, or the stations of a zone pooled); any
        mixture of sources.
    scope : str, optional
        Label of the report (default: the station, or the stations joined).
    discharge_start : datetime
        Results sampled at or after it are "after" (default :data:`DISCHARGE_START`).
    baseline_since : datetime, optional
        Use only results sampled at or after it for the "before" side (default
        :data:`DEFAULT_BASELINE_SINCE`, 2020-01-01; None for every result).
    until : datetime, optional
        Ignore results sampled at or after it.
    method : {"km", "ros", "mle"}
        Censored-data estimator of the summaries (Kaplan--Meier by default).
    top : int
        How many of the largest post-discharge detected results to list.
    trend : bool
        Test the post-discharge series for a trend (False for a pooled zone, whose trend
        :func:`zone_baseline` builds by :func:`regional_trend`).

    Returns
    -------
    BeforeAfter

    Raises
    ------
    BaselineError
        No results, several nuclides, or units that cannot be put on one scale.
    """
    ms = list(measurements)
    nuclides = sorted({m.nuclide for m in ms})
    if len(nuclides) > 1:
        raise BaselineError(f"one nuclide at a time; got {', '.join(nuclides)}")
    if until is not None:
        ms = [m for m in ms if m.sampled_at < until]
    if not ms:
        raise BaselineError("no results")
    obs, unit, sources, dups, without = observations(ms)
    stations = tuple(sorted({o.station for o in obs}))
    before = [
        o
        for o in obs
        if o.time < discharge_start and (baseline_since is None or o.time >= baseline_since)
    ]
    after = [o for o in obs if o.time >= discharge_start]
    pre = _period("before", before, method)
    post = _period("after", after, method)

    test: cen.GroupTest | None = None
    test_refusal: str | None = None
    shift = shift_score(after, before) if before and after else None
    if not before or not after:
        test_refusal = "one side has no results"
    else:
        try:
            test = cen.peto_prentice_test(
                {
                    "before": ([o.value for o in before], [o.censored for o in before]),
                    "after": ([o.value for o in after], [o.censored for o in after]),
                }
            )
        except cen.CensoredDataError as exc:
            test_refusal = str(exc)
    trend_res: tr.TrendResult | None = None
    trend_refusal: str | None = None
    if trend:
        trend_res, trend_refusal = _trend(after)
    largest = sorted((o for o in after if not o.censored), key=lambda o: (-o.value, o.time))[:top]

    notes: list[str] = []
    if len(sources) > 1:
        notes.append(
            f"{len(sources)} sources merged into one series ({', '.join(sorted(sources))}); "
            f"{dups} result(s) published in more than one source kept once"
        )
    if without:
        notes.append(f"{without} non-detect(s) without a detection limit not used")
    if (
        pre.limit_max is not None
        and post.detected_median is not None
        and pre.limit_max > post.detected_median
    ):
        notes.append(
            f"detection limits before the discharge reach {pre.limit_max:.3g} {unit}, above "
            f"the median detected value after it ({post.detected_median:.3g} {unit}): "
            "the comparison cannot resolve differences below those limits"
        )
    if len(stations) > 1:
        notes.append("pooled over stations: the summaries and the Peto-Prentice test mix stations")
    if (
        trend_res is not None
        and post.percent_censored
        and post.percent_censored > cen.MAX_PERCENT_CENSORED
    ):
        notes.append(
            f"{post.percent_censored:.0f} % of post-discharge results are non-detects: "
            "the trend test has little power"
        )
    return BeforeAfter(
        scope=scope or (stations[0] if len(stations) == 1 else "+".join(stations)),
        stations=stations,
        nuclide=nuclides[0],
        unit=unit,
        discharge_start=discharge_start,
        baseline_since=baseline_since,
        before=pre,
        after=post,
        test=test,
        test_refusal=test_refusal,
        shift=shift,
        trend=trend_res,
        trend_refusal=trend_refusal,
        largest=largest,
        sources=sources,
        duplicates_removed=dups,
        without_limit=without,
        notes=notes,
    )


# --------------------------------------------------------------------------- store


def station_baseline(
    store: Store,
    station: str,
    nuclide: str,
    *,
    medium: str = "seawater",
    **options: Any,
) -> BeforeAfter:
    """:func:`compare_before_after` for one station's current results in the store.

    ``options`` are those of :func:`compare_before_after` (``discharge_start``,
    ``baseline_since``, ``until``, ``method``, ``top``).

    :raises BaselineError: the station has no results for the nuclide.
    """
    ms = current_measurements(store, Query(station=station, nuclide=nuclide, medium=medium))
    if not ms:
        raise BaselineError(f"no {medium} results for {nuclide} at station {station!r}")
    return compare_before_after(ms, **options)


def zone_baseline(
    store: Store,
    zone: str,
    nuclide: str,
    *,
    medium: str = "seawater",
    **options: Any,
) -> ZoneBeforeAfter:
    """Before/after comparison for every station of ``zone`` and for the zone pooled.

    Stations are those the station table tags with ``zone`` (e.g. ``"outlet-3km"``,
    TEPCO's ten points near the outlet). Stations with no results for the nuclide are
    left out; the pooled trend is the regional Kendall test.

    :raises BaselineError: no station of the zone has results for the nuclide.
    """
    zones = station_zones(store)
    codes = sorted(code for code, z in zones.items() if z == zone)
    if not codes:
        known = ", ".join(sorted(set(zones.values()))) or "none"
        raise BaselineError(f"no station in zone {zone!r}; zones in the store: {known}")
    per: list[BeforeAfter] = []
    pooled: list[Measurement] = []
    for code in codes:
        ms = current_measurements(store, Query(station=code, nuclide=nuclide, medium=medium))
        if not ms:
            continue
        one = compare_before_after(ms, **options)
        if one.before.n == 0 and one.after.n == 0:
            continue  # nothing in the compared periods (e.g. a point sampled until 2019)
        pooled += ms
        per.append(one)
    if not per:
        raise BaselineError(f"no {medium} results for {nuclide} in zone {zone!r}")
    whole = compare_before_after(
        pooled, scope=f"zone {zone} ({len(per)} stations)", trend=False, **options
    )
    trends = [b.trend for b in per if b.trend is not None]
    if trends:
        whole = replace(whole, trend=regional_trend(trends), trend_refusal=None)
        whole.notes.append(
            f"trend: regional Kendall test over the {len(trends)} station(s) with a "
            "post-discharge trend test; slope = median of their slopes"
        )
    else:
        whole = replace(whole, trend_refusal="no station has a post-discharge trend test")
    return ZoneBeforeAfter(zone=zone, pooled=whole, stations=per)
