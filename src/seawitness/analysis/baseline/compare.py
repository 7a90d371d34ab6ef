"""The before/after comparison of one series (a station, or stations pooled).

See :mod:`seawitness.analysis.baseline` for the methods and their references.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import numpy as np
from scipy import stats

from seawitness.analysis import censored as cen
from seawitness.analysis import trends as tr
from seawitness.analysis.baseline.results import (
    DEFAULT_BASELINE_SINCE,
    DISCHARGE_START,
    BaselineError,
    BeforeAfter,
    Observation,
    PeriodSummary,
)
from seawitness.harmonize.units import ConversionError, conversion_factor
from seawitness.model.records import Detection, Measurement

__all__ = [
    "compare_before_after",
    "observations",
    "regional_trend",
    "shift_score",
    "unique_results",
]


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


def _group_test(
    before: Sequence[Observation], after: Sequence[Observation]
) -> tuple[cen.GroupTest | None, str | None]:
    """The Peto--Prentice test between the two sides, or why it was not run."""
    if not before or not after:
        return None, "one side has no results"
    try:
        return cen.peto_prentice_test(
            {
                "before": ([o.value for o in before], [o.censored for o in before]),
                "after": ([o.value for o in after], [o.censored for o in after]),
            }
        ), None
    except cen.CensoredDataError as exc:
        return None, str(exc)


def _notes(
    pre: PeriodSummary,
    post: PeriodSummary,
    unit: str,
    sources: dict[str, int],
    dups: int,
    without: int,
    stations: tuple[str, ...],
    trend_res: tr.TrendResult | None,
) -> list[str]:
    """What a reader must know to read the comparison right."""
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
    return notes


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

    test, test_refusal = _group_test(before, after)
    shift = shift_score(after, before) if before and after else None
    trend_res: tr.TrendResult | None = None
    trend_refusal: str | None = None
    if trend:
        trend_res, trend_refusal = _trend(after)
    largest = sorted((o for o in after if not o.censored), key=lambda o: (-o.value, o.time))[:top]
    notes = _notes(pre, post, unit, sources, dups, without, stations, trend_res)
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
