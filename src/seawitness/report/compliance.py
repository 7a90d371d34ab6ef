"""How a region's results compare with one rule set: counts, worst results, sums.

Every number here keeps the leaf indexes of the records behind it, so the report can link
each count and each result to the log (a leaf index is what ``seawitness prove`` takes).
The evaluations themselves are :func:`seawitness.analysis.limits.evaluate_all`: 95 %
intervals with the reported standard uncertainty (ISO 11929-1, coverage factor 1.96).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from seawitness.analysis.limits import Classification, Evaluation, RuleSet, evaluate_all
from seawitness.model import Measurement

__all__ = ["CLASS_ORDER", "compare", "leaf_ranges"]

#: Classes in the order a report lists them (worst first).
CLASS_ORDER = (
    Classification.EXCEEDS.value,
    Classification.MAY_EXCEED.value,
    Classification.INCONCLUSIVE.value,
    Classification.BELOW.value,
    Classification.NOT_APPLICABLE.value,
)
WORST = 10


def leaf_ranges(leaves: Iterable[int]) -> list[tuple[int, int]]:
    """Sorted leaf indexes as closed ranges ``(first, last)``: a count of thousands of
    results stays traceable in a few lines, since an import logs its results in runs.

    >>> leaf_ranges([7, 3, 4, 5, 9])
    [(3, 5), (7, 7), (9, 9)]
    """
    out: list[tuple[int, int]] = []
    for leaf in sorted(set(leaves)):
        if out and leaf == out[-1][1] + 1:
            out[-1] = (out[-1][0], leaf)
        else:
            out.append((leaf, leaf))
    return out


def _row(ev: Evaluation, leaf_of: Mapping[int, int]) -> dict[str, Any]:
    m0 = ev.inputs[0]
    return {
        "rule_id": ev.rule_id,
        "title": ev.title,
        "level": ev.level,
        "class": ev.classification.value,
        "value": ev.value,
        "uncertainty": ev.uncertainty,
        "lower95": ev.lower95,
        "upper95": ev.upper95,
        "limit": ev.limit,
        "unit": ev.unit,
        "ratio": ev.ratio,
        "u_assumed_zero": ev.u_assumed_zero,
        "detected": any(m.detection.value in ("=", "DE") for m in ev.inputs),
        "reason": ev.reason,
        "confidence": ev.confidence,
        "low_confidence": ev.low_confidence,
        "source": ev.source,
        "org": m0.org,
        "station": ev.station,
        "medium": ev.medium,
        "species": m0.species,
        "nuclides": list(ev.nuclides),
        "sampled_at": m0.sampled_at,
        "leaves": sorted(leaf_of[id(m)] for m in ev.inputs),
    }


def _sort_key(r: Mapping[str, Any]) -> tuple[Any, ...]:
    return (CLASS_ORDER.index(r["class"]), -(r["ratio"] or 0.0), r["leaves"][0], r["rule_id"])


def compare(
    rule_set: RuleSet,
    measurements: Sequence[Measurement],
    leaf_of: Mapping[int, int],
    zones: Mapping[str, str],
) -> dict[str, Any]:
    """Evaluate ``measurements`` against ``rule_set``.

    :param leaf_of: ``id(measurement)`` → its leaf index.
    :param zones: station code → zone, for zoned rules.
    :returns: ``{"evaluations", "counts", "leaves", "rules", "worst", "flagged"}``:
        counts per class, the leaf ranges behind each count, per-rule counts with the
        rule's number, grade and source, the worst detected results, and every evaluation
        that is not ``below`` (the appendix rows).
    """
    evs = evaluate_all(measurements, rule_set, zones=zones)
    rows = sorted((_row(e, leaf_of) for e in evs), key=_sort_key)
    counts = {c: 0 for c in CLASS_ORDER}
    leaves: dict[str, list[int]] = {c: [] for c in CLASS_ORDER}
    per_rule: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        counts[r["class"]] += 1
        leaves[r["class"]] += r["leaves"]
        per_rule[r["rule_id"]].append(r)
    rules = []
    for rule in rule_set.rules:
        mine = per_rule.get(rule.id, [])
        rules.append(
            {
                "rule_id": rule.id,
                "title": rule.title,
                "level": rule.level,
                "aggregation": rule.aggregation,
                "nuclides": list(rule.all_nuclides),
                "media": sorted(m.value for m in rule.media),
                "zones": sorted(rule.zones) if rule.zones is not None else None,
                "limit": rule.limit,
                "unit": rule.unit,
                "basis": rule.basis.value,
                "confidence": rule.confidence,
                "low_confidence": rule.low_confidence,
                "source": rule.source,
                "evaluated": rule.evaluated,
                "components": [
                    {
                        "nuclide": c.nuclide,
                        "limit": c.limit,
                        "unit": c.unit,
                        "confidence": c.confidence,
                        "low_confidence": c.low_confidence,
                        "source": c.source,
                    }
                    for c in rule.components
                ],
                "counts": {c: sum(1 for r in mine if r["class"] == c) for c in CLASS_ORDER},
                "max_ratio": max(
                    (r["ratio"] for r in mine if r["ratio"] is not None), default=None
                ),
            }
        )
    detected = [r for r in rows if r["detected"] and r["ratio"] is not None]
    worst = sorted(detected, key=lambda r: (-r["ratio"], r["leaves"][0], r["rule_id"]))[:WORST]
    flagged = [r for r in rows if r["class"] != Classification.BELOW.value]
    return {
        "evaluations": len(rows),
        "counts": counts,
        "leaves": {c: leaf_ranges(v) for c, v in leaves.items()},
        "rules": rules,
        "worst": worst,
        "flagged": flagged,
    }
