"""Anomaly alerts: results above a station's investigation level, CUSUM and EWMA.

Three kinds of :class:`Alert`:

* ``level`` — a result above a level of a rule set (by default the ``investigation`` and
  ``suspension`` levels, e.g. TEPCO's 350 Bq/L tritium investigation level near the
  outlet), found with :func:`seawitness.analysis.limits.evaluate_all`.
* ``cusum`` — the upper tabular CUSUM of a station's results standardised against its own
  baseline, C⁺_t = max(0, C⁺_{t−1} + z_t − k), signalling when C⁺_t > h, with k = 0.5 and
  h = 4 or 5 (Montgomery [1]_ §9.1; research notes §4). After a signal the sum restarts
  at zero.
* ``ewma`` — the exponentially weighted moving average E_t = λ z_t + (1 − λ) E_{t−1},
  E_0 = 0, signalling when E_t > L·sqrt(λ/(2−λ)·[1 − (1−λ)^{2t}]), with λ = 0.2 and L = 3
  (Montgomery [1]_ §9.2).

Standardisation: z_t = (x_t − μ₀)/sqrt(σ₀² + u_t²), where μ₀ and σ₀ are the baseline's mean
and standard deviation and u_t the result's standard uncertainty (when it is reported and
``use_uncertainty`` is true), a zeta-like score (research notes §4). Because environmental
concentrations are close to lognormal, ``log=True`` works on ln x with u_t/x_t as the
uncertainty of ln x.

Only detected results enter the baseline and the charts: a non-detect says the value is
below its detection limit, which for an upward shift carries little information, and a
rapid-analysis limit (~10 Bq/L for tritium) far above the baseline would otherwise look
like a jump. A baseline from detects only is biased high when many results are non-detects
(a conservative direction for alerts); censored-data estimators would be better.

References
----------
.. [1] Montgomery, D. C., Introduction to Statistical Quality Control, 7th ed., Wiley, 2013:
   chapter 9, "Cumulative Sum and Exponentially Weighted Moving Average Control Charts".
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from seawitness.analysis.limits import (
    Classification,
    RuleSet,
    evaluate_all,
)
from seawitness.errors import InputError
from seawitness.model.records import Detection, Measurement

__all__ = [
    "Alert",
    "AlertError",
    "Baseline",
    "cusum_alerts",
    "ewma_alerts",
    "level_alerts",
]


class AlertError(InputError):
    """Inputs that cannot be charted (mixed stations or units, too small a baseline)."""


@dataclass(frozen=True, slots=True)
class Alert:
    """One alert: why, where, what, the value and the level or limit it crossed.

    ``value`` and ``level`` are in ``unit`` for ``level`` alerts; for ``cusum``/``ewma``
    alerts ``value`` is the result [unit] and ``level`` the baseline mean [unit]
    (geometric mean with ``log=True``), while ``statistic`` is the chart statistic
    [standard deviations].
    """

    kind: str
    reason: str
    station: str
    nuclide: str
    value: float
    level: float
    unit: str
    time: datetime
    rule_id: str | None = None
    statistic: float | None = None
    source: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "kind": self.kind,
            "reason": self.reason,
            "station": self.station,
            "nuclide": self.nuclide,
            "value": self.value,
            "level": self.level,
            "unit": self.unit,
            "time": self.time.isoformat(),
            "rule_id": self.rule_id,
            "statistic": self.statistic,
            "source": self.source,
        }


def level_alerts(
    measurements: Iterable[Measurement],
    rules: RuleSet | str | Path | Iterable[RuleSet | str | Path],
    *,
    levels: Sequence[str] = ("investigation", "suspension"),
    zones: Mapping[str, str] | None = None,
) -> list[Alert]:
    """Alerts for results whose value is above a level of the given rule sets.

    Parameters
    ----------
    measurements : iterable of Measurement
        New results.
    rules : RuleSet, str, Path or an iterable of them
        Rule sets holding the levels (e.g. ``"jp-tepco-sea"``).
    levels : sequence of str
        Which rule levels raise alerts.
    zones : mapping of str to str, optional
        Station → zone, as in :func:`~seawitness.analysis.limits.evaluate_all`.

    Returns
    -------
    list of Alert
        One per result and level whose value is above the level (classification
        ``exceeds``, or ``may_exceed`` with the value itself above).
    """
    out: list[Alert] = []
    for ev in evaluate_all(measurements, rules, zones=zones):
        if ev.level not in levels or ev.value is None:
            continue
        over = ev.classification is Classification.EXCEEDS or (
            ev.classification is Classification.MAY_EXCEED and ev.value > ev.limit
        )
        if not over:
            continue
        m = ev.inputs[0]
        out.append(
            Alert(
                kind="level",
                reason=f"{ev.classification.value}: {ev.title} ({ev.rule_id}): {ev.reason}",
                station=ev.station,
                nuclide="+".join(ev.nuclides),
                value=ev.value,
                level=ev.limit,
                unit=ev.unit,
                time=m.sampled_at,
                rule_id=ev.rule_id,
                source=ev.source,
            )
        )
    return out


def _series(measurements: Iterable[Measurement]) -> list[Measurement]:
    ms = sorted(
        (m for m in measurements if m.detection is Detection.DETECTED and m.value is not None),
        key=lambda m: m.sampled_at,
    )
    keys = {(m.station, m.nuclide, m.unit, m.basis) for m in ms}
    if len(keys) > 1:
        raise AlertError(
            "a chart needs one station, nuclide and unit; got "
            + ", ".join(sorted(f"{s} {n} {u} ({b.value})" for s, n, u, b in keys))
        )
    return ms


def _x(m: Measurement, log: bool) -> float:
    assert m.value is not None
    if log:
        if m.value <= 0:
            raise AlertError(f"log scale needs positive values; got {m.value} at {m.sampled_at}")
        return math.log(m.value)
    return m.value


@dataclass(frozen=True, slots=True)
class Baseline:
    """A station's baseline: mean and standard deviation of its detected results.

    ``mean`` and ``sd`` are in ``unit``, or of ln(value) when ``log`` is true.
    """

    mean: float
    sd: float
    n: int
    unit: str
    log: bool
    start: datetime
    end: datetime

    @property
    def label(self) -> str:
        """``"2020-2023"``-style period of the baseline."""
        a, b = self.start.year, self.end.year
        return f"{a}" if a == b else f"{a}-{b}"

    @property
    def center(self) -> float:
        """The baseline level in ``unit`` (geometric mean with ``log``)."""
        return math.exp(self.mean) if self.log else self.mean

    def describe(self) -> str:
        what = "geometric mean" if self.log else "mean"
        return f"baseline {what} {self.center:.3g} {self.unit} ({self.label}, n={self.n})"

    @classmethod
    def _from(cls, ms: list[Measurement], log: bool) -> Baseline:
        if len(ms) < 2:
            raise AlertError(f"a baseline needs at least 2 detected results, got {len(ms)}")
        xs = [_x(m, log) for m in ms]
        sd = statistics.stdev(xs)
        if sd <= 0:
            raise AlertError("the baseline results have zero spread; cannot standardise")
        return cls(
            mean=statistics.fmean(xs),
            sd=sd,
            n=len(xs),
            unit=ms[0].unit,
            log=log,
            start=ms[0].sampled_at,
            end=ms[-1].sampled_at,
        )

    @classmethod
    def from_period(
        cls,
        measurements: Iterable[Measurement],
        start: datetime,
        end: datetime,
        *,
        log: bool = False,
    ) -> Baseline:
        """Baseline from the detected results sampled in [start, end)."""
        ms = [m for m in _series(measurements) if start <= m.sampled_at < end]
        return cls._from(ms, log)

    @classmethod
    def from_first_detects(
        cls, measurements: Iterable[Measurement], n: int, *, log: bool = False
    ) -> Baseline:
        """Baseline from the first ``n`` detected results in time order."""
        return cls._from(_series(measurements)[:n], log)


def _z(m: Measurement, b: Baseline, use_uncertainty: bool) -> float:
    x = _x(m, b.log)
    u = 0.0
    if use_uncertainty and m.uncertainty is not None and m.value:
        u = m.uncertainty / m.value if b.log else m.uncertainty
    return (x - b.mean) / math.sqrt(b.sd**2 + u**2)


def _after(ms: list[Measurement], b: Baseline, start: datetime | None) -> list[Measurement]:
    t0 = start if start is not None else b.end
    return [m for m in ms if m.sampled_at > t0]


def cusum_alerts(
    measurements: Iterable[Measurement],
    baseline: Baseline,
    *,
    k: float = 0.5,
    h: float = 5.0,
    use_uncertainty: bool = True,
    start: datetime | None = None,
) -> list[Alert]:
    """Upper tabular CUSUM alerts for one station and nuclide [1]_.

    Parameters
    ----------
    measurements : iterable of Measurement
        One station's results for one nuclide in one unit (non-detects are skipped).
    baseline : Baseline
        The in-control level.
    k : float
        Reference value [baseline standard deviations]; 0.5 detects a 1σ shift.
    h : float
        Decision interval [baseline standard deviations]; 4 or 5.
    use_uncertainty : bool
        Standardise with sqrt(σ₀² + u²) instead of σ₀.
    start : datetime, optional
        Chart results after this time; default after the baseline's last result.
    """
    ms = _after(_series(measurements), baseline, start)
    out: list[Alert] = []
    c = 0.0
    run = 0
    for m in ms:
        c = max(0.0, c + _z(m, baseline, use_uncertainty) - k)
        run = run + 1 if c > 0 else 0
        if c > h:
            assert m.value is not None
            out.append(
                Alert(
                    kind="cusum",
                    reason=(
                        f"CUSUM {c:.1f}σ > h={h:g}σ (k={k:g}) over the last {run} results "
                        f"above {baseline.describe()}"
                    ),
                    station=m.station,
                    nuclide=m.nuclide,
                    value=m.value,
                    level=baseline.center,
                    unit=m.unit,
                    time=m.sampled_at,
                    statistic=c,
                    source="Montgomery, Introduction to Statistical Quality Control, ch. 9",
                )
            )
            c, run = 0.0, 0
    return out


def ewma_alerts(
    measurements: Iterable[Measurement],
    baseline: Baseline,
    *,
    lam: float = 0.2,
    L: float = 3.0,  # noqa: N803 - Montgomery's symbol
    use_uncertainty: bool = True,
    start: datetime | None = None,
) -> list[Alert]:
    """EWMA alerts (upper control limit) for one station and nuclide [1]_.

    Parameters
    ----------
    measurements : iterable of Measurement
        One station's results for one nuclide in one unit (non-detects are skipped).
    baseline : Baseline
        The in-control level.
    lam : float
        Smoothing constant λ, 0 < λ ≤ 1 [dimensionless]; 0.2 by default.
    L : float
        Width of the control limit [standard deviations of the EWMA]; 3 by default.
    use_uncertainty : bool
        Standardise with sqrt(σ₀² + u²) instead of σ₀.
    start : datetime, optional
        Chart results after this time; default after the baseline's last result.
    """
    if not 0 < lam <= 1:
        raise AlertError(f"lam must be in (0, 1], got {lam}")
    ms = _after(_series(measurements), baseline, start)
    out: list[Alert] = []
    e = 0.0
    for t, m in enumerate(ms, start=1):
        e = lam * _z(m, baseline, use_uncertainty) + (1 - lam) * e
        sd_e = math.sqrt(lam / (2 - lam) * (1 - (1 - lam) ** (2 * t)))
        if e > L * sd_e:
            assert m.value is not None
            out.append(
                Alert(
                    kind="ewma",
                    reason=(
                        f"EWMA {e / sd_e:.1f}σ above {baseline.describe()}; control limit "
                        f"L={L:g}σ, λ={lam:g}"
                    ),
                    station=m.station,
                    nuclide=m.nuclide,
                    value=m.value,
                    level=baseline.center,
                    unit=m.unit,
                    time=m.sampled_at,
                    statistic=e / sd_e,
                    source="Montgomery, Introduction to Statistical Quality Control, ch. 9",
                )
            )
    return out
