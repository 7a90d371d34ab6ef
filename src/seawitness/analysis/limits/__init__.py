"""The limits engine: each jurisdiction's rules as data, applied with uncertainty.

A *rule set* is a TOML file (``rules/<name>.toml``) holding one jurisdiction's or
operator's numbers, each with its ``source`` and a ``confidence`` grade (HIGH, MED-HIGH,
MED, LOW-MED, LOW). Numbers graded LOW, or whose source says they come from memory, load
as configuration with a :class:`LowConfidenceWarning` and carry ``low_confidence=True``
into every evaluation that uses them; they are never silent constants. Every
:class:`Evaluation` also lists, in ``numbers``, each rule-set number it used with its
grade and source (:class:`GradedNumber`), and :meth:`RuleSet.numbers` lists them all.

Classification of a result ``x`` with standard uncertainty ``u`` against a limit ``L``
(two-sided 95 % interval, coverage factor 1.96 for a normal distribution [1]_):

``exceeds``
    above the limit even at the lower end of the interval: x − 1.96·u > L;
``may_exceed``
    x > L or x + 1.96·u > L, but not ``exceeds``;
``below``
    x + 1.96·u ≤ L; a non-detect whose detection limit is at or below L;
``inconclusive``
    a non-detect whose detection limit is above L (or that reports none), or a sum that
    is over the limit only because non-detects were counted at their detection limits;
``not_applicable``
    the rule matches the record but cannot be applied (a unit that cannot be converted
    without a quantity the record lacks, an unknown zone or treatment stage); the reason
    says which.

Where a result reports no uncertainty it is evaluated with u = 0 and the evaluation says
so (``u_assumed_zero``). Where a rule says ``compliant_at_limit = false`` (criteria written
"less than", e.g. the 1,500 Bq/L operational limit) a value equal to the limit counts as
over it.

Sums (``aggregation = "sum"``, e.g. Japan's Cs-134 + Cs-137 ≤ 100 Bq/kg) and sums of ratios
(``"sum_of_ratios"``, e.g. TEPCO's non-tritium criterion Σ C_i/L_i < 1 and each Codex
group [2]_) combine the results of one sample; standard uncertainties add in quadrature
(GUM [3]_). Non-detects enter by the rule set's ``nd_policy``: ``"detection_limit"``
(TEPCO: a non-detect is assumed present at its detection limit) or ``"zero"``.

Tritium forms: rules name the form they apply to. Sea-area, discharge and drinking-water
rules apply to ``H-3`` (HTO in water); Codex's H-3 group applies to ``H-3:OBT`` only
(CXS 193 footnote); GB 14882 names no form, so its rule sums the forms a sample reports.

The package is split by job: :mod:`.schema` (what a rule set is), :mod:`.loading`
(reading the files), :mod:`.evaluation` (classification and the evaluation record),
:mod:`.engine` (which rule applies to which record; single results) and
:mod:`.aggregate` (sums and sums of ratios).

References
----------
.. [1] ISO 11929-1:2019, confidence limits of the measurand; seawitness research notes §4.
.. [2] Codex Alimentarius, CXS 193-1995, Schedule I (guideline levels for radionuclides in
   foods), group sum-of-ratios rule.
.. [3] JCGM 100:2008 (GUM), combined standard uncertainty of a sum.
"""

from __future__ import annotations

from seawitness.analysis.limits.engine import evaluate_all
from seawitness.analysis.limits.evaluation import Evaluation, classify, sample_key, summarize
from seawitness.analysis.limits.loading import list_rule_sets, load_rules
from seawitness.analysis.limits.schema import (
    COVERAGE_95,
    RULES_DIR,
    Classification,
    Component,
    GradedNumber,
    LowConfidenceWarning,
    NDPolicy,
    Rule,
    RuleSet,
    RuleSetError,
    is_low_confidence,
)

__all__ = [
    "COVERAGE_95",
    "RULES_DIR",
    "Classification",
    "Component",
    "Evaluation",
    "GradedNumber",
    "LowConfidenceWarning",
    "NDPolicy",
    "Rule",
    "RuleSet",
    "RuleSetError",
    "classify",
    "evaluate_all",
    "is_low_confidence",
    "list_rule_sets",
    "load_rules",
    "sample_key",
    "summarize",
]
