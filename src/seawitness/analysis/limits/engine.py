"""Applying rule sets to results: which rule applies to which record, and single results.

:func:`evaluate_all` is the entry point. Single-nuclide rules are applied here; sums and
sums of ratios, which combine the results of one sample, are in
:mod:`seawitness.analysis.limits.aggregate`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from seawitness.analysis.limits.aggregate import eval_aggregate
from seawitness.analysis.limits.evaluation import (
    Ctx,
    Evaluation,
    classify,
    describe,
    fmt,
    make_evaluation,
    sample_key,
)
from seawitness.analysis.limits.loading import load_rules
from seawitness.analysis.limits.measure import detection_limit, factor, is_detect
from seawitness.analysis.limits.schema import (
    COVERAGE_95,
    Classification,
    NDPolicy,
    Rule,
    RuleSet,
)
from seawitness.harmonize.units import ConversionError
from seawitness.model.records import Measurement
from seawitness.model.zones import ZONE_UNKNOWN, zone_for

__all__ = ["evaluate_all"]


@dataclass(frozen=True, slots=True)
class Scope:
    """Whether a rule applies to a record, and in which zone."""

    applies: bool
    zone: str | None = None
    not_applicable: str | None = None  # the rule matches but cannot be applied: why
    note: str = ""  # appended to the reason of an evaluation


def _zone(m: Measurement, ctx: Ctx) -> tuple[str, str]:
    if ctx.zones is not None and m.station in ctx.zones:
        return ctx.zones[m.station], "given"
    return zone_for(m.station, m.lat, m.lon)


def _zone_scope(rule: Rule, m: Measurement, ctx: Ctx) -> Scope | tuple[str, str]:
    """The record's zone and a note, or a Scope that settles the question."""
    assert rule.zones is not None
    zone, zsrc = _zone(m, ctx)
    if zone == ZONE_UNKNOWN:
        return Scope(
            True,
            zone,
            f"station {m.station!r} has no known zone (not a named outlet point and no "
            f"coordinates); the rule applies in {', '.join(sorted(rule.zones))}",
        )
    if zone not in rule.zones:
        return Scope(False, zone)
    note = ""
    if zsrc == "distance":
        note = (
            f"; zone {zone!r} derived from the distance to an estimated outlet position "
            "(LOW confidence)"
        )
    return zone, note


def scope(rule: Rule, m: Measurement, ctx: Ctx) -> Scope:
    """Whether the rule's medium, zone and stage match the record."""
    if m.medium not in rule.media:
        return Scope(False)
    zone: str | None = None
    note = ""
    if rule.zones is not None:
        got = _zone_scope(rule, m, ctx)
        if isinstance(got, Scope):
            return got
        zone, note = got
    if rule.stage is not None:
        stage = m.extra.get("stage")
        if stage is None:
            return Scope(
                True,
                zone,
                f"the rule applies to treated water at stage {rule.stage!r}; the record does "
                "not say its stage (extra['stage'])",
            )
        if stage != rule.stage:
            return Scope(False, zone)
    return Scope(True, zone, None, note)


def _eval_single(rule: Rule, m: Measurement, zone: str | None, note: str, ctx: Ctx) -> Evaluation:
    lim_txt = f"{rule.level} {fmt(rule.limit)} {rule.unit}"
    try:
        f = factor(m, rule.unit, rule.basis, ctx)
    except ConversionError as exc:
        return make_evaluation(
            rule,
            [m],
            Classification.NOT_APPLICABLE,
            f"cannot express {m.unit} ({m.basis.value}) in {rule.unit} ({rule.basis.value}): {exc}",
            zone,
        )
    if is_detect(m):
        assert m.value is not None
        v = m.value * f
        u_zero = m.uncertainty is None
        u = 0.0 if u_zero else float(m.uncertainty or 0.0) * f
        cls = classify(v, u, rule.limit, compliant_at_limit=rule.compliant_at_limit)
        what = f"{m.nuclide} {fmt(v)} ± {fmt(u)} {rule.unit} (k=1)"
        reason = describe(cls, what, v - COVERAGE_95 * u, v + COVERAGE_95 * u, lim_txt)
        if u_zero:
            reason += "; no uncertainty reported: evaluated with u = 0"
        return make_evaluation(rule, [m], cls, reason + note, zone, value=v, u=u, u_zero=u_zero)
    dl = detection_limit(m)
    if dl is None:
        return make_evaluation(
            rule,
            [m],
            Classification.INCONCLUSIVE,
            f"{m.nuclide} not detected and no detection limit reported: cannot compare with "
            f"the {lim_txt}" + note,
            zone,
        )
    d = dl * f
    if d <= rule.limit:
        cls, why = Classification.BELOW, "is not above"
    else:
        cls, why = Classification.INCONCLUSIVE, "is above"
    reason = (
        f"{m.nuclide} not detected (< {fmt(d)} {rule.unit}); the detection limit {why} "
        f"the {lim_txt}"
    )
    return make_evaluation(rule, [m], cls, reason + note, zone, value=d, u=None, interval=False)


def _as_rule_sets(rules: RuleSet | str | Path | Iterable[RuleSet | str | Path]) -> list[RuleSet]:
    if isinstance(rules, RuleSet):
        return [rules]
    if isinstance(rules, str | Path):
        return [load_rules(rules)]
    return [r if isinstance(r, RuleSet) else load_rules(r) for r in rules]


def _singles(ms: list[Measurement], rules: list[Rule], ctx: Ctx) -> Iterable[Evaluation]:
    for m in ms:
        for rule in rules:
            if m.nuclide != rule.nuclides[0]:
                continue
            sc = scope(rule, m, ctx)
            if not sc.applies:
                continue
            if sc.not_applicable is not None:
                yield make_evaluation(
                    rule, [m], Classification.NOT_APPLICABLE, sc.not_applicable, sc.zone
                )
                continue
            yield _eval_single(rule, m, sc.zone, sc.note, ctx)


def _aggregates(ms: list[Measurement], rules: list[Rule], ctx: Ctx) -> Iterable[Evaluation]:
    groups: dict[tuple[str, ...], list[Measurement]] = defaultdict(list)
    for m in ms:
        groups[sample_key(m)].append(m)
    for group in groups.values():
        for rule in rules:
            wanted = set(rule.all_nuclides)
            members = [m for m in group if m.nuclide in wanted]
            if not members:
                continue
            sc = scope(rule, members[0], ctx)
            if not sc.applies:
                continue
            if sc.not_applicable is not None:
                yield make_evaluation(
                    rule, members, Classification.NOT_APPLICABLE, sc.not_applicable, sc.zone
                )
                continue
            ev = eval_aggregate(rule, members, sc.zone, sc.note, ctx)
            if ev is not None:
                yield ev


def evaluate_all(
    measurements: Iterable[Measurement],
    rules: RuleSet | str | Path | Iterable[RuleSet | str | Path],
    *,
    zones: Mapping[str, str] | None = None,
    nd_policy: NDPolicy | str | None = None,
    density: float | None = None,
    dry_wet_ratio: float | None = None,
    water_yield: float | None = None,
) -> list[Evaluation]:
    """Evaluate results against one or more rule sets.

    Single-nuclide rules are applied to each result; sums and sums of ratios to the
    results of each sample together (grouped by :func:`sample_key`). A rule whose medium,
    nuclide, zone or stage does not match a result yields nothing for it; one that matches
    but cannot be applied yields ``not_applicable`` with the reason.

    Parameters
    ----------
    measurements : iterable of Measurement
        The results, in any units :mod:`seawitness.harmonize.units` accepts.
    rules : RuleSet, str, Path or an iterable of them
        Loaded rule sets or bundled names (``"jp-tepco-sea"``).
    zones : mapping of str to str, optional
        Station code → zone (``"outlet-3km"``, ``"square-10km"``, ``"offshore"``); stations
        not in it get :func:`seawitness.model.zones.zone_for` from the record's coordinates.
    nd_policy : {"detection_limit", "zero"}, optional
        Overrides every rule set's non-detect convention for sums.
    density : float, optional
        Density of water samples [kg/L] for per-litre ↔ per-kg comparisons.
    dry_wet_ratio : float, optional
        Dry/wet mass ratio [kg/kg] for wet ↔ dry comparisons.
    water_yield : float, optional
        Litres of tissue/combustion water per kg wet sample [L/kg].

    Returns
    -------
    list of Evaluation
        Each carries, in ``numbers``, every rule-set number it used with its grade and
        source; ``low_confidence`` is True when any of them is graded LOW or from memory.
    """
    ctx = Ctx(
        zones=zones,
        nd_policy=NDPolicy(nd_policy) if nd_policy is not None else None,
        density=density,
        dry_wet_ratio=dry_wet_ratio,
        water_yield=water_yield,
    )
    sets = _as_rule_sets(rules)
    ms = list(measurements)
    singles = [r for s in sets for r in s.rules if r.aggregation == "single"]
    aggregates = [r for s in sets for r in s.rules if r.aggregation in ("sum", "sum_of_ratios")]
    out = list(_singles(ms, singles, ctx))
    if aggregates:
        out.extend(_aggregates(ms, aggregates, ctx))
    return out
