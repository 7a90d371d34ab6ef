"""Sums and sums of ratios over the results of one sample.

``aggregation = "sum"`` adds activities (Japan's Cs-134 + Cs-137 ≤ 100 Bq/kg);
``"sum_of_ratios"`` adds C_i/L_i (TEPCO's non-tritium criterion Σ C_i/L_i < 1, each
Codex group [1]_). Standard uncertainties of detected terms add in quadrature (GUM [2]_).
Non-detects enter by the rule's ``nd_policy``: at their detection limit, or as zero with
the evaluation saying what the sum would be at the limits. A sum that is over the limit
only because non-detects were counted at their limits is ``inconclusive``, not
``exceeds``: nothing measured is over.

References
----------
.. [1] Codex Alimentarius, CXS 193-1995, Schedule I (guideline levels for radionuclides in
   foods), group sum-of-ratios rule.
.. [2] JCGM 100:2008 (GUM), combined standard uncertainty of a sum.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

from seawitness.analysis.limits.evaluation import (
    Ctx,
    Evaluation,
    classify,
    describe,
    fmt,
    make_evaluation,
)
from seawitness.analysis.limits.measure import detection_limit, factor, is_detect
from seawitness.analysis.limits.schema import (
    COVERAGE_95,
    Classification,
    Component,
    GradedNumber,
    NDPolicy,
    Rule,
    grade_rank,
)
from seawitness.harmonize.units import ConversionError
from seawitness.model.records import Basis, Measurement

__all__ = ["eval_aggregate"]

#: A term of a sum: nuclide, divisor (its limit for a ratio, 1 for a sum), unit, component.
_Term = tuple[str, float, str, Component | None]


@dataclass(slots=True)
class _Sums:
    """What the terms of one sample add up to, and what to say about them."""

    s_det: float = 0.0  # detected terms [rule unit or ratio]
    s_nd: float = 0.0  # non-detects at their detection limits
    var: float = 0.0
    n_det: int = 0
    u_zero: bool = False
    nd_without_dl: list[str] = field(default_factory=list)
    low_terms: list[str] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)
    used: list[Measurement] = field(default_factory=list)
    numbers: list[GradedNumber] = field(default_factory=list)

    @property
    def u(self) -> float:
        return math.sqrt(self.var)

    @property
    def has_nd(self) -> bool:
        return bool(self.s_nd) or bool(self.nd_without_dl)


def _pick(
    candidates: list[Measurement], unit: str, basis: Basis, ctx: Ctx
) -> tuple[Measurement | None, float | None, str | None]:
    """The first candidate convertible to ``unit``; else the conversion error."""
    err = None
    for m in candidates:
        try:
            return m, factor(m, unit, basis, ctx), None
        except ConversionError as exc:
            err = f"{m.nuclide} in {m.unit} ({m.basis.value}): {exc}"
    return None, None, err


def _terms(rule: Rule) -> list[_Term]:
    if rule.aggregation == "sum_of_ratios":
        return [(c.nuclide, c.limit, c.unit, c) for c in rule.components]
    return [(n, 1.0, rule.unit, None) for n in rule.nuclides]


def _add_term(sums: _Sums, nuc: str, m: Measurement, scale: float) -> None:
    if is_detect(m):
        assert m.value is not None
        sums.n_det += 1
        sums.s_det += m.value * scale
        if m.uncertainty is None:
            sums.u_zero = True
        else:
            sums.var += (m.uncertainty * scale) ** 2
        sums.parts.append(f"{nuc} {fmt(m.value * scale)}")
        return
    dl = detection_limit(m)
    if dl is None:
        sums.nd_without_dl.append(nuc)
        sums.parts.append(f"{nuc} ND (no detection limit)")
    else:
        sums.s_nd += dl * scale
        sums.parts.append(f"{nuc} <{fmt(dl * scale)}")


def _collect(
    rule: Rule, present: list[_Term], by_nuc: dict[str, list[Measurement]], ctx: Ctx
) -> _Sums | str:
    """Add up the present terms; a conversion that fails returns its message."""
    sums = _Sums(numbers=[rule.limit_number()])
    for nuc, lim, unit, comp in present:
        m, f, err = _pick(by_nuc[nuc], unit, rule.basis, ctx)
        if m is None or f is None:
            return f"cannot express {err}"
        sums.used.append(m)
        if comp is not None:
            sums.numbers.append(rule.component_number(comp))
            if comp.low_confidence:
                sums.low_terms.append(f"{nuc} {fmt(comp.limit)} {comp.unit} ({comp.confidence})")
        _add_term(sums, nuc, m, f / lim)  # to ratio (sum of ratios) or to the rule unit
    return sums


def _interval_text(
    detail: str, value: float, u: float, cls: Classification, lim: str, how: str = ""
) -> str:
    what = f"{detail} = {fmt(value)} ± {fmt(u)}{how}"
    return describe(cls, what, value - COVERAGE_95 * u, value + COVERAGE_95 * u, lim)


def _classify_at_limits(
    rule: Rule, sums: _Sums, detail: str, lim: str, cls_det: Classification
) -> tuple[Classification, float, str]:
    """nd_policy = detection_limit: non-detects count at their limits."""
    value, u = sums.s_det + sums.s_nd, sums.u
    if sums.nd_without_dl:
        cls = cls_det if cls_det is Classification.EXCEEDS else Classification.INCONCLUSIVE
        names = ", ".join(sums.nd_without_dl)
        why = (
            f"{detail}: non-detects without a detection limit ({names}) "
            "cannot be counted at their detection limit (nd_policy=detection_limit)"
        )
        return cls, value, why
    cls_pol = classify(value, u, rule.limit, compliant_at_limit=rule.compliant_at_limit)
    how = " with non-detects at their detection limits (nd_policy=detection_limit)"
    base = _interval_text(detail, value, u, cls_pol, lim, how)
    alone = f"; the detected results alone sum to {fmt(sums.s_det)}"
    if cls_pol is Classification.BELOW:
        return cls_pol, value, base
    if cls_det is Classification.BELOW:
        why = f"{base}{alone}, so the sum is over only because of the detection limits"
        return Classification.INCONCLUSIVE, value, why
    return cls_det, value, f"{base}{alone} ({cls_det.value})"


def _classify_as_zero(
    rule: Rule, sums: _Sums, detail: str, lim: str, cls_det: Classification
) -> tuple[Classification, float, str]:
    """nd_policy = zero: non-detects count as zero; say what the sum is at the limits."""
    value = sums.s_det
    if sums.n_det == 0 and (sums.s_nd > rule.limit or sums.nd_without_dl):
        why = (
            f"{detail}: nothing detected, and the detection limits sum to {fmt(sums.s_nd)}, "
            f"above the {lim} (nd_policy=zero)"
        )
        return Classification.INCONCLUSIVE, value, why
    how = " with non-detects as zero (nd_policy=zero)"
    text = _interval_text(detail, value, sums.u, cls_det, lim, how)
    at_limits = fmt(sums.s_det + sums.s_nd)
    return (
        cls_det,
        value,
        f"{text}; with non-detects at their detection limits it would be {at_limits}",
    )


def _notes(
    rule: Rule, sums: _Sums, terms: list[_Term], present: list[_Term], reported: set[str]
) -> str:
    out = ""
    missing = [t[0] for t in terms if t[0] not in reported]
    if sums.u_zero:
        out += "; a detected term reports no uncertainty: it enters with u = 0"
    if missing and rule.aggregation == "sum_of_ratios":
        out += f"; {len(present)} of the {len(terms)} nuclides listed were reported"
    elif missing:
        out += f"; not reported in this sample, not counted: {', '.join(missing)}"
    if sums.low_terms:
        out += f"; low-confidence limits used: {', '.join(sums.low_terms)}"
    return out


def eval_aggregate(
    rule: Rule, group: list[Measurement], zone: str | None, note: str, ctx: Ctx
) -> Evaluation | None:
    """Evaluate a sum or sum of ratios over one sample's results (None: no term reported)."""
    terms = _terms(rule)
    by_nuc: dict[str, list[Measurement]] = defaultdict(list)
    for gm in group:
        by_nuc[gm.nuclide].append(gm)
    present = [t for t in terms if t[0] in by_nuc]
    if not present:
        return None
    policy = ctx.nd_policy or rule.nd_policy
    sums = _collect(rule, present, by_nuc, ctx)
    if isinstance(sums, str):
        return make_evaluation(rule, group, Classification.NOT_APPLICABLE, sums + note, zone)
    lim = f"{rule.level} {fmt(rule.limit)} {rule.unit}"
    label = "sum of ratios" if rule.aggregation == "sum_of_ratios" else "sum"
    detail = f"{label} of {', '.join(sums.parts)}"
    cls_det = classify(sums.s_det, sums.u, rule.limit, compliant_at_limit=rule.compliant_at_limit)
    if not sums.has_nd:
        cls, value = cls_det, sums.s_det
        reason = _interval_text(detail, value, sums.u, cls, lim)
    elif policy is NDPolicy.DETECTION_LIMIT:
        cls, value, reason = _classify_at_limits(rule, sums, detail, lim, cls_det)
    else:
        cls, value, reason = _classify_as_zero(rule, sums, detail, lim, cls_det)
    worst = min((n.confidence for n in sums.numbers), key=grade_rank)
    return make_evaluation(
        rule,
        sums.used,
        cls,
        reason + _notes(rule, sums, terms, present, set(by_nuc)) + note,
        zone,
        value=value,
        u=sums.u,
        u_zero=sums.u_zero,
        nd_policy=policy,
        confidence=worst,
        low=any(n.low_confidence for n in sums.numbers),
        numbers=tuple(sums.numbers),
    )
