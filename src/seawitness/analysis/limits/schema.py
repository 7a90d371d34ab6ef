"""What a rule set is: its rules, their numbers, and the grade and source of every number.

A rule-set file holds one jurisdiction's or operator's numbers; each carries the
``source`` it was taken from and a ``confidence`` grade (HIGH, MED-HIGH, MED, LOW-MED,
LOW). A number graded LOW (or LOW-MED), or whose source says it comes from memory, is
*low-confidence*: it loads with a :class:`LowConfidenceWarning` and is flagged in every
evaluation that uses it, because a regulator or a journalist must be able to see that a
conclusion rests on a number nobody has checked against the legal text.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from seawitness.errors import InputError, SeawitnessWarning
from seawitness.model.records import Basis, Medium

__all__ = [
    "COVERAGE_95",
    "RULES_DIR",
    "RULESET_SCHEMA",
    "Classification",
    "Component",
    "GradedNumber",
    "LowConfidenceWarning",
    "NDPolicy",
    "Rule",
    "RuleSet",
    "RuleSetError",
    "grade_rank",
    "is_low_confidence",
]

#: Directory of the bundled rule sets (ships inside the package, ``analysis/rules``).
RULES_DIR: Path = Path(__file__).resolve().parent.parent / "rules"

#: Coverage factor of a two-sided 95 % interval of a normal distribution.
COVERAGE_95: float = 1.96

RULESET_SCHEMA = "seawitness/ruleset/v1"
_GRADES = ("LOW", "LOW-MED", "MED", "MED-HIGH", "HIGH")


class LowConfidenceWarning(SeawitnessWarning):
    """A number loaded from configuration is graded LOW or comes from memory: verify it."""


class RuleSetError(InputError):
    """A rule-set file that cannot be loaded; the message names the file and field."""


class Classification(StrEnum):
    """Outcome of evaluating a result against one rule."""

    EXCEEDS = "exceeds"
    MAY_EXCEED = "may_exceed"
    BELOW = "below"
    INCONCLUSIVE = "inconclusive"
    NOT_APPLICABLE = "not_applicable"


class NDPolicy(StrEnum):
    """How non-detects enter sums and sums of ratios."""

    DETECTION_LIMIT = "detection_limit"
    ZERO = "zero"


def is_low_confidence(confidence: str, source: str) -> bool:
    """True for a number graded LOW (incl. LOW-MED) or whose source says "memory"."""
    return "LOW" in confidence.upper() or "memory" in source.lower()


def grade_rank(confidence: str) -> int:
    """Position of a grade in LOW < LOW-MED < MED < MED-HIGH < HIGH (unknown = LOW).

    Only the first word counts, so ``"HIGH (Cs) MED (others)"`` ranks as HIGH; rule
    files grade each number on its own to avoid such mixed grades.
    """
    c = confidence.strip().upper().split()[0] if confidence.strip() else "LOW"
    return _GRADES.index(c) if c in _GRADES else 0


@dataclass(frozen=True, slots=True)
class GradedNumber:
    """One number of a rule set, with what it is, its grade and where it comes from.

    ``role`` is ``"limit"`` (the rule's own limit: a concentration, or the 1 of a sum of
    ratios) or ``"component"`` (one nuclide's limit inside a sum of ratios); ``nuclides``
    names the nuclide(s) it applies to; ``value`` is in ``unit``.
    """

    rule_id: str
    role: str
    nuclides: str
    value: float
    unit: str
    confidence: str
    source: str

    @property
    def low_confidence(self) -> bool:
        return is_low_confidence(self.confidence, self.source)

    def describe(self) -> str:
        """``"rule-id: nuclide value unit (confidence; source)"``, as the warnings print it."""
        return (
            f"{self.rule_id}: {self.nuclides} {self.value:g} {self.unit} "
            f"({self.confidence}; {self.source})"
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: every face shows ``confidence`` and ``low_confidence``."""
        return {
            "rule_id": self.rule_id,
            "role": self.role,
            "nuclides": self.nuclides,
            "value": self.value,
            "unit": self.unit,
            "confidence": self.confidence,
            "low_confidence": self.low_confidence,
            "source": self.source,
        }


@dataclass(frozen=True, slots=True)
class Component:
    """One term of a sum of ratios: a nuclide and its limit [unit]."""

    nuclide: str
    limit: float
    unit: str
    source: str
    confidence: str

    @property
    def low_confidence(self) -> bool:
        return is_low_confidence(self.confidence, self.source)


@dataclass(frozen=True, slots=True)
class Rule:
    """One limit or level of a rule set.

    ``limit`` is in ``unit`` on ``basis``; for a sum of ratios the unit is ``"ratio"`` and
    ``components`` hold each nuclide's limit. ``media``, ``zones`` and ``stage`` say what
    the rule applies to (``zones`` None = any zone; ``stage`` None = any stage).
    """

    id: str
    rule_set: str
    title: str
    level: str
    media: frozenset[Medium]
    zones: frozenset[str] | None
    stage: str | None
    nuclides: tuple[str, ...]
    aggregation: str
    limit: float
    unit: str
    basis: Basis
    compliant_at_limit: bool
    nd_policy: NDPolicy
    source: str
    confidence: str
    components: tuple[Component, ...] = ()

    @property
    def low_confidence(self) -> bool:
        return is_low_confidence(self.confidence, self.source)

    @property
    def uses_low_confidence(self) -> bool:
        """True if the rule's limit or any component's limit is low-confidence."""
        return self.low_confidence or any(c.low_confidence for c in self.components)

    @property
    def evaluated(self) -> bool:
        """False for rules that are not about concentrations (an annual discharge cap)."""
        return self.aggregation in ("single", "sum", "sum_of_ratios")

    @property
    def all_nuclides(self) -> tuple[str, ...]:
        if self.aggregation == "sum_of_ratios":
            return tuple(c.nuclide for c in self.components)
        return self.nuclides

    def limit_number(self) -> GradedNumber:
        """The rule's own limit as a :class:`GradedNumber`."""
        return GradedNumber(
            rule_id=self.id,
            role="limit",
            nuclides="+".join(self.nuclides) or "ratio",
            value=self.limit,
            unit=self.unit,
            confidence=self.confidence,
            source=self.source,
        )

    def component_number(self, c: Component) -> GradedNumber:
        """A component's limit as a :class:`GradedNumber`."""
        return GradedNumber(
            rule_id=self.id,
            role="component",
            nuclides=c.nuclide,
            value=c.limit,
            unit=c.unit,
            confidence=c.confidence,
            source=c.source,
        )

    def numbers(self) -> tuple[GradedNumber, ...]:
        """Every number of the rule: its limit, then each component's limit."""
        return (self.limit_number(), *(self.component_number(c) for c in self.components))


@dataclass(frozen=True, slots=True)
class RuleSet:
    """A loaded rule-set file."""

    id: str
    title: str
    jurisdiction: str
    publisher: str
    nd_policy: NDPolicy
    nd_policy_source: str
    tritium_form: str
    notes: str
    rules: tuple[Rule, ...]
    path: Path

    def numbers(self) -> list[GradedNumber]:
        """Every number of every rule, each with its grade and source."""
        return [n for r in self.rules for n in r.numbers()]

    def low_confidence_numbers(self) -> list[str]:
        """Each low-confidence number as ``"rule-id: nuclide value unit (confidence; source)"``."""
        return [n.describe() for n in self.numbers() if n.low_confidence]
