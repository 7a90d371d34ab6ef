"""What a before/after comparison reports: the series, each side's summary, the result.

Plain records with ``as_dict`` for JSON; the computations are in
:mod:`seawitness.analysis.baseline.compare`. Values are in the series unit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from seawitness.analysis import censored as cen
from seawitness.analysis import trends as tr
from seawitness.errors import InputError

__all__ = [
    "DEFAULT_BASELINE_SINCE",
    "DISCHARGE_START",
    "BaselineError",
    "BeforeAfter",
    "Observation",
    "PeriodSummary",
    "ZoneBeforeAfter",
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
