"""The outcome of a rule for a result: classification with the 95 % interval, and the record.

:func:`classify` is the one place where a value with its uncertainty meets a limit;
:class:`Evaluation` carries the outcome with everything a face needs to explain it,
including every rule-set number used with its grade and source (``numbers``), so that a
dashboard, an API client or a report can say "this limit is graded LOW / from memory"
without reading rule files.

References
----------
.. [1] ISO 11929-1:2019, confidence limits of the measurand; seawitness research notes §4.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from seawitness.analysis.limits.schema import (
    COVERAGE_95,
    Classification,
    GradedNumber,
    NDPolicy,
    Rule,
)
from seawitness.model.records import Measurement

__all__ = ["Evaluation", "classify", "sample_key", "summarize"]


def classify(
    value: float, uncertainty: float, limit: float, *, compliant_at_limit: bool = True
) -> Classification:
    """Classify a detected result against a limit with its 95 % interval [1]_.

    Parameters
    ----------
    value : float
        The result. [unit of the limit]
    uncertainty : float
        Its standard uncertainty (k = 1). [unit of the limit]
    limit : float
        The limit. [unit of the limit]
    compliant_at_limit : bool
        True when a value equal to the limit complies ("not more than L"); False for
        "less than L" criteria, where reaching the limit counts as over it.

    Returns
    -------
    Classification
        ``exceeds`` if value − 1.96·u is over the limit, ``may_exceed`` if the value or
        value + 1.96·u is, else ``below``.
    """

    def over(x: float) -> bool:
        return x > limit if compliant_at_limit else x >= limit

    if over(value - COVERAGE_95 * uncertainty):
        return Classification.EXCEEDS
    if over(value) or over(value + COVERAGE_95 * uncertainty):
        return Classification.MAY_EXCEED
    return Classification.BELOW


@dataclass(frozen=True, slots=True)
class Evaluation:
    """The outcome of one rule for one result (or one sample's results, for sums).

    ``value``, ``uncertainty``, ``lower95``, ``upper95``, ``limit`` and ``margin`` are in
    ``unit`` on ``basis`` (a sum of ratios has unit ``"ratio"``); ``ratio`` is
    value/limit; ``margin`` is limit − value (negative when over). For a non-detect the
    value is its detection limit. ``confidence`` is the lowest grade of the numbers
    used, ``low_confidence`` whether any of them is graded LOW or from memory, and
    ``numbers`` lists each number used (the rule's limit, and for a sum of ratios the
    limits of the nuclides the sample reported) with its grade and source.
    """

    rule_set: str
    rule_id: str
    level: str
    title: str
    classification: Classification
    limit: float
    unit: str
    basis: str
    value: float | None
    uncertainty: float | None
    lower95: float | None
    upper95: float | None
    ratio: float | None
    margin: float | None
    u_assumed_zero: bool
    nd_policy: str | None
    reason: str
    source: str
    confidence: str
    low_confidence: bool
    station: str
    medium: str
    nuclides: tuple[str, ...]
    sampled_at: str
    zone: str | None = None
    inputs: tuple[Measurement, ...] = field(default=(), repr=False)
    numbers: tuple[GradedNumber, ...] = ()

    @property
    def low_confidence_numbers(self) -> tuple[GradedNumber, ...]:
        """The numbers used that are graded LOW or come from memory."""
        return tuple(n for n in self.numbers if n.low_confidence)

    def to_dict(self, *, with_inputs: bool = False) -> dict[str, Any]:
        """JSON-ready dict; ``with_inputs`` adds the record ids evaluated."""
        d: dict[str, Any] = {
            "rule_set": self.rule_set,
            "rule_id": self.rule_id,
            "level": self.level,
            "title": self.title,
            "class": self.classification.value,
            "limit": self.limit,
            "unit": self.unit,
            "basis": self.basis,
            "value": self.value,
            "uncertainty": self.uncertainty,
            "lower95": self.lower95,
            "upper95": self.upper95,
            "ratio": self.ratio,
            "margin": self.margin,
            "u_assumed_zero": self.u_assumed_zero,
            "nd_policy": self.nd_policy,
            "reason": self.reason,
            "source": self.source,
            "confidence": self.confidence,
            "low_confidence": self.low_confidence,
            "station": self.station,
            "medium": self.medium,
            "nuclides": list(self.nuclides),
            "sampled_at": self.sampled_at,
            "zone": self.zone,
            "numbers": [n.to_dict() for n in self.numbers],
        }
        if with_inputs:
            d["inputs"] = [m.id for m in self.inputs]
        return d


def summarize(evaluations: Iterable[Evaluation]) -> dict[str, int]:
    """Counts per classification, every class present (zero if none)."""
    c = Counter(e.classification for e in evaluations)
    return {k.value: c.get(k, 0) for k in Classification}


def sample_key(m: Measurement) -> tuple[str, ...]:
    """What groups results of one sample for sums: ``sample_id`` if given, else the
    sample's description (organisation, station, depth, time, medium, species, tissue,
    analysis, replicate)."""
    if m.sample_id:
        return ("id", m.org, m.sample_id, m.medium.value)
    return (
        "desc",
        m.org,
        m.station,
        m.depth or "",
        m.sampled_at.isoformat(),
        m.medium.value,
        m.species or "",
        m.tissue or "",
        m.analysis.value if m.analysis else "",
        str(m.replicate),
    )


@dataclass(slots=True)
class Ctx:
    """Options of one :func:`~seawitness.analysis.limits.evaluate_all` call."""

    zones: Mapping[str, str] | None
    nd_policy: NDPolicy | None
    density: float | None
    dry_wet_ratio: float | None
    water_yield: float | None


def fmt(x: float) -> str:
    """Four significant digits, as every reason prints numbers."""
    return f"{x:.4g}"


def describe(cls: Classification, what: str, lo: float, hi: float, lim: str) -> str:
    """The sentence of a reason that says where the 95 % interval lies."""
    if cls is Classification.EXCEEDS:
        return f"{what}: lower end of the 95 % interval {fmt(lo)} is above the {lim}"
    if cls is Classification.MAY_EXCEED:
        return (
            f"{what}: the 95 % interval {fmt(lo)}-{fmt(hi)} reaches above the {lim} "
            "but its lower end does not"
        )
    return f"{what}: upper end of the 95 % interval {fmt(hi)} is not above the {lim}"


def make_evaluation(
    rule: Rule,
    ms: Sequence[Measurement],
    cls: Classification,
    reason: str,
    zone: str | None,
    *,
    value: float | None = None,
    u: float | None = None,
    u_zero: bool = False,
    nd_policy: NDPolicy | None = None,
    confidence: str | None = None,
    low: bool | None = None,
    interval: bool = True,
    numbers: tuple[GradedNumber, ...] | None = None,
) -> Evaluation:
    """An :class:`Evaluation` of ``rule`` for ``ms``; ``numbers`` defaults to the rule's limit."""
    lim = rule.limit
    lo = hi = None
    if value is not None and u is not None and interval:
        lo, hi = value - COVERAGE_95 * u, value + COVERAGE_95 * u
    m0 = ms[0]
    return Evaluation(
        rule_set=rule.rule_set,
        rule_id=rule.id,
        level=rule.level,
        title=rule.title,
        classification=cls,
        limit=lim,
        unit=rule.unit,
        basis=rule.basis.value,
        value=value,
        uncertainty=u,
        lower95=lo,
        upper95=hi,
        ratio=None if value is None else value / lim,
        margin=None if value is None else lim - value,
        u_assumed_zero=u_zero,
        nd_policy=nd_policy.value if nd_policy else None,
        reason=reason,
        source=rule.source,
        confidence=confidence or rule.confidence,
        low_confidence=rule.low_confidence if low is None else low,
        station=m0.station,
        medium=m0.medium.value,
        nuclides=tuple(dict.fromkeys(m.nuclide for m in ms)),
        sampled_at=m0.sampled_at.isoformat(),
        zone=zone,
        inputs=tuple(ms),
        numbers=(rule.limit_number(),) if numbers is None else numbers,
    )
