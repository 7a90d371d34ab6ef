"""The limits engine: each jurisdiction's rules as data, applied with uncertainty.

A *rule set* is a TOML file (``rules/<name>.toml``) holding one jurisdiction's or
operator's numbers, each with its ``source`` and a ``confidence`` grade (HIGH, MED-HIGH,
MED, LOW-MED, LOW). Numbers graded LOW, or whose source says they come from memory, load
as configuration with a :class:`LowConfidenceWarning` and carry ``low_confidence=True``
into every evaluation that uses them; they are never silent constants.

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

References
----------
.. [1] ISO 11929-1:2019, confidence limits of the measurand; seawitness research notes §4.
.. [2] Codex Alimentarius, CXS 193-1995, Schedule I (guideline levels for radionuclides in
   foods), group sum-of-ratios rule.
.. [3] JCGM 100:2008 (GUM), combined standard uncertainty of a sum.
"""

from __future__ import annotations

import math
import tomllib
import warnings
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from seawitness.errors import InputError, SeawitnessWarning
from seawitness.harmonize.units import ConversionError, conversion_factor, parse_unit
from seawitness.model.nuclides import normalize_nuclide
from seawitness.model.records import Basis, Detection, Measurement, Medium
from seawitness.model.zones import ZONE_UNKNOWN, zone_for

__all__ = [
    "COVERAGE_95",
    "RULES_DIR",
    "Classification",
    "Component",
    "Evaluation",
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

#: Directory of the bundled rule sets (ships inside the package).
RULES_DIR: Path = Path(__file__).parent / "rules"

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


def _grade_rank(confidence: str) -> int:
    c = confidence.strip().upper().split()[0] if confidence.strip() else "LOW"
    return _GRADES.index(c) if c in _GRADES else 0


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
    def evaluated(self) -> bool:
        """False for rules that are not about concentrations (an annual discharge cap)."""
        return self.aggregation in ("single", "sum", "sum_of_ratios")

    @property
    def all_nuclides(self) -> tuple[str, ...]:
        if self.aggregation == "sum_of_ratios":
            return tuple(c.nuclide for c in self.components)
        return self.nuclides


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

    def low_confidence_numbers(self) -> list[str]:
        """Each low-confidence number as ``"rule-id: nuclide value unit (confidence; source)"``."""
        out = []
        for r in self.rules:
            if r.low_confidence:
                out.append(
                    f"{r.id}: {'+'.join(r.nuclides) or 'ratio'} {r.limit:g} {r.unit} "
                    f"({r.confidence}; {r.source})"
                )
            for c in r.components:
                if c.low_confidence:
                    out.append(
                        f"{r.id}: {c.nuclide} {c.limit:g} {c.unit} ({c.confidence}; {c.source})"
                    )
        return out


# -- loading -----------------------------------------------------------------------------


def list_rule_sets() -> list[str]:
    """Names of the bundled rule sets (the file stems under :data:`RULES_DIR`)."""
    return sorted(p.stem for p in RULES_DIR.glob("*.toml"))


def _req(d: Mapping[str, Any], key: str, where: str, typ: type | tuple[type, ...]) -> Any:
    if key not in d:
        raise RuleSetError(f"{where}: missing field {key!r}")
    v = d[key]
    if not isinstance(v, typ) or isinstance(v, bool) and typ is not bool:
        raise RuleSetError(f"{where}.{key}: expected {getattr(typ, '__name__', typ)}, got {v!r}")
    return v


def _number(d: Mapping[str, Any], key: str, where: str) -> float:
    v = _req(d, key, where, (int, float))
    if not (math.isfinite(v) and v > 0):
        raise RuleSetError(f"{where}.{key}: must be a positive number, got {v!r}")
    return float(v)


def _canonical_nuclide(name: str, where: str) -> str:
    try:
        canon = normalize_nuclide(name)
    except ValueError:
        return name  # an element the model does not list (S-35, Ir-192): kept as written
    if canon != name:
        raise RuleSetError(f"{where}: nuclide {name!r} is not canonical; write {canon!r}")
    return canon


def load_rules(name: str | Path) -> RuleSet:
    """Load a rule set by bundled name (see :func:`list_rule_sets`) or from a TOML path.

    Emits one :class:`LowConfidenceWarning` listing every number graded LOW or sourced
    from memory.

    Parameters
    ----------
    name : str or Path
        ``"jp-tepco-sea"``, ``"codex"``, ... or a path to a ``.toml`` file.

    Raises
    ------
    RuleSetError
        Unknown name, unreadable file or an invalid field (the message names it).
    """
    path = Path(name)
    if path.suffix != ".toml":
        path = RULES_DIR / f"{name}.toml"
        if not path.is_file():
            raise RuleSetError(
                f"unknown rule set {str(name)!r}; bundled rule sets: {', '.join(list_rule_sets())}"
            )
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RuleSetError(f"{path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise RuleSetError(f"{path.name}: {exc}") from None
    rs = _parse_rule_set(data, path)
    low = rs.low_confidence_numbers()
    if low:
        warnings.warn(
            f"rule set {rs.id!r} loads {len(low)} low-confidence number(s) (graded LOW or "
            "from memory; verify before relying on them): " + "; ".join(low),
            LowConfidenceWarning,
            stacklevel=2,
        )
    return rs


def _parse_rule_set(data: Mapping[str, Any], path: Path) -> RuleSet:
    where = path.name
    if data.get("schema") != RULESET_SCHEMA:
        raise RuleSetError(
            f"{where}: schema must be {RULESET_SCHEMA!r}, got {data.get('schema')!r}"
        )
    rs_id = _req(data, "id", where, str)
    try:
        nd_default = NDPolicy(_req(data, "nd_policy", where, str))
    except ValueError:
        raise RuleSetError(
            f"{where}.nd_policy: must be 'detection_limit' or 'zero', got {data['nd_policy']!r}"
        ) from None
    rules: list[Rule] = []
    seen: set[str] = set()
    for i, r in enumerate(_req(data, "rules", where, list)):
        rw = f"{where}: rules[{i}]"
        rid = f"{rs_id}/{_req(r, 'id', rw, str)}"
        if rid in seen:
            raise RuleSetError(f"{rw}.id: duplicate rule id {rid!r}")
        seen.add(rid)
        try:
            media = frozenset(Medium(x) for x in _req(r, "media", rw, list))
        except ValueError as exc:
            raise RuleSetError(f"{rw}.media: {exc}") from None
        zones = r.get("zones")
        aggregation = _req(r, "aggregation", rw, str)
        if aggregation not in ("single", "sum", "sum_of_ratios", "annual_sum"):
            raise RuleSetError(f"{rw}.aggregation: unknown aggregation {aggregation!r}")
        unit = _req(r, "unit", rw, str)
        if aggregation in ("single", "sum"):
            try:
                parse_unit(unit)
            except ConversionError as exc:
                raise RuleSetError(f"{rw}.unit: {exc}") from None
        nuclides = tuple(_canonical_nuclide(n, f"{rw}.nuclides") for n in r.get("nuclides", []))
        components: list[Component] = []
        for j, c in enumerate(r.get("components", [])):
            cw = f"{rw}.components[{j}]"
            cu = _req(c, "unit", cw, str)
            try:
                parse_unit(cu)
            except ConversionError as exc:
                raise RuleSetError(f"{cw}.unit: {exc}") from None
            components.append(
                Component(
                    nuclide=_canonical_nuclide(_req(c, "nuclide", cw, str), cw),
                    limit=_number(c, "limit", cw),
                    unit=cu,
                    source=_req(c, "source", cw, str),
                    confidence=_req(c, "confidence", cw, str),
                )
            )
        if aggregation == "sum_of_ratios" and not components:
            raise RuleSetError(f"{rw}: a sum of ratios needs [[rules.components]]")
        if aggregation in ("single", "sum", "annual_sum") and not nuclides:
            raise RuleSetError(f"{rw}: missing field 'nuclides'")
        if aggregation == "single" and len(nuclides) != 1:
            raise RuleSetError(f"{rw}.nuclides: a single rule names exactly one nuclide")
        try:
            nd = NDPolicy(r.get("nd_policy", nd_default))
            basis = Basis(r.get("basis", "water"))
        except ValueError as exc:
            raise RuleSetError(f"{rw}: {exc}") from None
        rules.append(
            Rule(
                id=rid,
                rule_set=rs_id,
                title=str(r.get("title", rid)),
                level=_req(r, "level", rw, str),
                media=media,
                zones=frozenset(zones) if zones else None,
                stage=r.get("stage"),
                nuclides=nuclides,
                aggregation=aggregation,
                limit=_number(r, "limit", rw),
                unit=unit,
                basis=basis,
                compliant_at_limit=bool(r.get("compliant_at_limit", True)),
                nd_policy=nd,
                source=_req(r, "source", rw, str),
                confidence=_req(r, "confidence", rw, str),
                components=tuple(components),
            )
        )
    return RuleSet(
        id=rs_id,
        title=str(data.get("title", rs_id)),
        jurisdiction=str(data.get("jurisdiction", "")),
        publisher=str(data.get("publisher", "")),
        nd_policy=nd_default,
        nd_policy_source=str(data.get("nd_policy_source", "")),
        tritium_form=str(data.get("tritium_form", "")),
        notes=str(data.get("notes", "")).strip(),
        rules=tuple(rules),
        path=path,
    )


# -- classification --------------------------------------------------------------------


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


# -- evaluations -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Evaluation:
    """The outcome of one rule for one result (or one sample's results, for sums).

    ``value``, ``uncertainty``, ``lower95``, ``upper95``, ``limit`` and ``margin`` are in
    ``unit`` on ``basis`` (a sum of ratios has unit ``"ratio"``); ``ratio`` is
    value/limit; ``margin`` is limit − value (negative when over). For a non-detect the
    value is its detection limit.
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
class _Ctx:
    zones: Mapping[str, str] | None
    nd_policy: NDPolicy | None
    density: float | None
    dry_wet_ratio: float | None
    water_yield: float | None


def _zone(m: Measurement, ctx: _Ctx) -> tuple[str, str]:
    if ctx.zones is not None and m.station in ctx.zones:
        return ctx.zones[m.station], "given"
    return zone_for(m.station, m.lat, m.lon)


def _fmt(x: float) -> str:
    return f"{x:.4g}"


def _base(
    rule: Rule,
    ms: Sequence[Measurement],
    cls: Classification,
    reason: str,
    zone: str | None,
    *,
    limit: float | None = None,
    unit: str | None = None,
    value: float | None = None,
    u: float | None = None,
    u_zero: bool = False,
    nd_policy: NDPolicy | None = None,
    confidence: str | None = None,
    low: bool | None = None,
    interval: bool = True,
) -> Evaluation:
    lim = rule.limit if limit is None else limit
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
        unit=unit or rule.unit,
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
    )


@dataclass(frozen=True, slots=True)
class _Scope:
    applies: bool
    zone: str | None = None
    not_applicable: str | None = None  # the rule matches but cannot be applied: why
    note: str = ""  # appended to the reason of an evaluation


def _scope(rule: Rule, m: Measurement, ctx: _Ctx) -> _Scope:
    """Whether the rule's medium, zone and stage match the record."""
    if m.medium not in rule.media:
        return _Scope(False)
    zone: str | None = None
    note = ""
    if rule.zones is not None:
        zone, zsrc = _zone(m, ctx)
        if zone == ZONE_UNKNOWN:
            return _Scope(
                True,
                zone,
                f"station {m.station!r} has no known zone (not a named outlet point and no "
                f"coordinates); the rule applies in {', '.join(sorted(rule.zones))}",
            )
        if zone not in rule.zones:
            return _Scope(False, zone)
        if zsrc == "distance":
            note = (
                f"; zone {zone!r} derived from the distance to an estimated outlet position "
                "(LOW confidence)"
            )
    if rule.stage is not None:
        stage = m.extra.get("stage")
        if stage is None:
            return _Scope(
                True,
                zone,
                f"the rule applies to treated water at stage {rule.stage!r}; the record does "
                "not say its stage (extra['stage'])",
            )
        if stage != rule.stage:
            return _Scope(False, zone)
    return _Scope(True, zone, None, note)


def _factor(m: Measurement, unit: str, basis: Basis, ctx: _Ctx) -> float:
    return conversion_factor(
        m.unit,
        unit,
        nuclide=m.nuclide,
        basis=m.basis,
        to_basis=basis,
        density=ctx.density,
        dry_wet_ratio=ctx.dry_wet_ratio,
        water_yield=ctx.water_yield,
    )


def _dl(m: Measurement) -> float | None:
    if m.detection is Detection.BELOW_LIMIT:
        return m.value
    return m.detection_limit


def _is_detect(m: Measurement) -> bool:
    return m.detection in (Detection.DETECTED, Detection.DERIVED)


def _describe(cls: Classification, what: str, lo: float, hi: float, lim: str) -> str:
    if cls is Classification.EXCEEDS:
        return f"{what}: lower end of the 95 % interval {_fmt(lo)} is above the {lim}"
    if cls is Classification.MAY_EXCEED:
        return (
            f"{what}: the 95 % interval {_fmt(lo)}-{_fmt(hi)} reaches above the {lim} "
            "but its lower end does not"
        )
    return f"{what}: upper end of the 95 % interval {_fmt(hi)} is not above the {lim}"


def _eval_single(rule: Rule, m: Measurement, zone: str | None, note: str, ctx: _Ctx) -> Evaluation:
    lim_txt = f"{rule.level} {_fmt(rule.limit)} {rule.unit}"
    try:
        f = _factor(m, rule.unit, rule.basis, ctx)
    except ConversionError as exc:
        return _base(
            rule,
            [m],
            Classification.NOT_APPLICABLE,
            f"cannot express {m.unit} ({m.basis.value}) in {rule.unit} ({rule.basis.value}): {exc}",
            zone,
        )
    if _is_detect(m):
        assert m.value is not None
        v = m.value * f
        u_zero = m.uncertainty is None
        u = 0.0 if u_zero else float(m.uncertainty or 0.0) * f
        cls = classify(v, u, rule.limit, compliant_at_limit=rule.compliant_at_limit)
        what = f"{m.nuclide} {_fmt(v)} ± {_fmt(u)} {rule.unit} (k=1)"
        reason = _describe(cls, what, v - COVERAGE_95 * u, v + COVERAGE_95 * u, lim_txt)
        if u_zero:
            reason += "; no uncertainty reported: evaluated with u = 0"
        return _base(rule, [m], cls, reason + note, zone, value=v, u=u, u_zero=u_zero)
    dl = _dl(m)
    if dl is None:
        return _base(
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
        f"{m.nuclide} not detected (< {_fmt(d)} {rule.unit}); the detection limit {why} "
        f"the {lim_txt}"
    )
    return _base(rule, [m], cls, reason + note, zone, value=d, u=None, interval=False)


def _pick(
    candidates: list[Measurement], unit: str, basis: Basis, ctx: _Ctx
) -> tuple[Measurement | None, float | None, str | None]:
    """The first candidate convertible to ``unit``; else the conversion error."""
    err = None
    for m in candidates:
        try:
            return m, _factor(m, unit, basis, ctx), None
        except ConversionError as exc:
            err = f"{m.nuclide} in {m.unit} ({m.basis.value}): {exc}"
    return None, None, err


def _eval_aggregate(
    rule: Rule, group: list[Measurement], zone: str | None, note: str, ctx: _Ctx
) -> Evaluation | None:
    ratio_mode = rule.aggregation == "sum_of_ratios"
    terms: list[tuple[str, float, str, Component | None]]
    if ratio_mode:
        terms = [(c.nuclide, c.limit, c.unit, c) for c in rule.components]
    else:
        terms = [(n, 1.0, rule.unit, None) for n in rule.nuclides]
    by_nuc: dict[str, list[Measurement]] = defaultdict(list)
    for gm in group:
        by_nuc[gm.nuclide].append(gm)
    present = [t for t in terms if t[0] in by_nuc]
    if not present:
        return None
    policy = ctx.nd_policy or rule.nd_policy
    used: list[Measurement] = []
    s_det = s_nd = var = 0.0
    n_det = 0
    u_zero = False
    nd_without_dl: list[str] = []
    low_terms: list[str] = []
    worst = rule.confidence
    parts: list[str] = []
    for nuc, lim, unit, comp in present:
        m, f, err = _pick(by_nuc[nuc], unit, rule.basis, ctx)
        if m is None or f is None:
            return _base(
                rule,
                group,
                Classification.NOT_APPLICABLE,
                f"cannot express {err}" + note,
                zone,
            )
        used.append(m)
        if comp is not None:
            if comp.low_confidence:
                low_terms.append(f"{nuc} {_fmt(comp.limit)} {comp.unit} ({comp.confidence})")
            if _grade_rank(comp.confidence) < _grade_rank(worst):
                worst = comp.confidence
        scale = f / lim  # to ratio (sum of ratios) or to the rule unit (sum)
        if _is_detect(m):
            assert m.value is not None
            n_det += 1
            s_det += m.value * scale
            if m.uncertainty is None:
                u_zero = True
            else:
                var += (m.uncertainty * scale) ** 2
            parts.append(f"{nuc} {_fmt(m.value * scale)}")
        else:
            dl = _dl(m)
            if dl is None:
                nd_without_dl.append(nuc)
                parts.append(f"{nuc} ND (no detection limit)")
            else:
                s_nd += dl * scale
                parts.append(f"{nuc} <{_fmt(dl * scale)}")
    u = math.sqrt(var)
    missing = [t[0] for t in terms if t[0] not in by_nuc]
    lim_txt = f"{rule.level} {_fmt(rule.limit)} {rule.unit}"
    cls_det = classify(s_det, u, rule.limit, compliant_at_limit=rule.compliant_at_limit)
    label = "sum of ratios" if ratio_mode else "sum"
    detail = f"{label} of {', '.join(parts)}"
    has_nd = bool(s_nd) or bool(nd_without_dl)
    if not has_nd:
        value, cls = s_det, cls_det
        reason = _describe(
            cls,
            f"{detail} = {_fmt(value)} ± {_fmt(u)}",
            value - COVERAGE_95 * u,
            value + COVERAGE_95 * u,
            lim_txt,
        )
    elif policy is NDPolicy.DETECTION_LIMIT:
        value = s_det + s_nd
        if nd_without_dl:
            cls = cls_det if cls_det is Classification.EXCEEDS else Classification.INCONCLUSIVE
            reason = (
                f"{detail}: non-detects without a detection limit ({', '.join(nd_without_dl)}) "
                "cannot be counted at their detection limit (nd_policy=detection_limit)"
            )
        else:
            cls_pol = classify(value, u, rule.limit, compliant_at_limit=rule.compliant_at_limit)
            base = _describe(
                cls_pol,
                f"{detail} = {_fmt(value)} ± {_fmt(u)} with non-detects at their "
                "detection limits (nd_policy=detection_limit)",
                value - COVERAGE_95 * u,
                value + COVERAGE_95 * u,
                lim_txt,
            )
            if cls_pol is Classification.BELOW:
                cls, reason = cls_pol, base
            elif cls_det is Classification.BELOW:
                cls = Classification.INCONCLUSIVE
                reason = (
                    f"{base}; the detected results alone sum to {_fmt(s_det)}, so the sum is "
                    "over only because of the detection limits"
                )
            else:
                cls = cls_det
                reason = (
                    f"{base}; the detected results alone sum to {_fmt(s_det)} ({cls_det.value})"
                )
    else:
        value = s_det
        if n_det == 0 and (s_nd > rule.limit or nd_without_dl):
            cls = Classification.INCONCLUSIVE
            reason = (
                f"{detail}: nothing detected, and the detection limits sum to {_fmt(s_nd)}, "
                f"above the {lim_txt} (nd_policy=zero)"
            )
        else:
            cls = cls_det
            reason = (
                _describe(
                    cls,
                    f"{detail} = {_fmt(value)} ± {_fmt(u)} with non-detects as zero "
                    "(nd_policy=zero)",
                    value - COVERAGE_95 * u,
                    value + COVERAGE_95 * u,
                    lim_txt,
                )
                + f"; with non-detects at their detection limits it would be {_fmt(s_det + s_nd)}"
            )
    if u_zero:
        reason += "; a detected term reports no uncertainty: it enters with u = 0"
    if missing and ratio_mode:
        reason += f"; {len(present)} of the {len(terms)} nuclides listed were reported"
    elif missing:
        reason += f"; not reported in this sample, not counted: {', '.join(missing)}"
    if low_terms:
        reason += f"; low-confidence limits used: {', '.join(low_terms)}"
    return _base(
        rule,
        used,
        cls,
        reason + note,
        zone,
        value=value,
        u=u,
        u_zero=u_zero,
        nd_policy=policy,
        confidence=worst,
        low=rule.low_confidence or bool(low_terms),
    )


def _as_rule_sets(rules: RuleSet | str | Path | Iterable[RuleSet | str | Path]) -> list[RuleSet]:
    if isinstance(rules, RuleSet):
        return [rules]
    if isinstance(rules, str | Path):
        return [load_rules(rules)]
    return [r if isinstance(r, RuleSet) else load_rules(r) for r in rules]


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
    """
    ctx = _Ctx(
        zones=zones,
        nd_policy=NDPolicy(nd_policy) if nd_policy is not None else None,
        density=density,
        dry_wet_ratio=dry_wet_ratio,
        water_yield=water_yield,
    )
    sets = _as_rule_sets(rules)
    ms = list(measurements)
    out: list[Evaluation] = []
    singles = [r for s in sets for r in s.rules if r.aggregation == "single"]
    aggregates = [r for s in sets for r in s.rules if r.aggregation in ("sum", "sum_of_ratios")]
    for m in ms:
        for rule in singles:
            if m.nuclide != rule.nuclides[0]:
                continue
            sc = _scope(rule, m, ctx)
            if not sc.applies:
                continue
            if sc.not_applicable is not None:
                out.append(
                    _base(rule, [m], Classification.NOT_APPLICABLE, sc.not_applicable, sc.zone)
                )
                continue
            out.append(_eval_single(rule, m, sc.zone, sc.note, ctx))
    if aggregates:
        groups: dict[tuple[str, ...], list[Measurement]] = defaultdict(list)
        for m in ms:
            groups[sample_key(m)].append(m)
        for group in groups.values():
            for rule in aggregates:
                wanted = set(rule.all_nuclides)
                members = [m for m in group if m.nuclide in wanted]
                if not members:
                    continue
                sc = _scope(rule, members[0], ctx)
                if not sc.applies:
                    continue
                if sc.not_applicable is not None:
                    out.append(
                        _base(
                            rule,
                            members,
                            Classification.NOT_APPLICABLE,
                            sc.not_applicable,
                            sc.zone,
                        )
                    )
                    continue
                ev = _eval_aggregate(rule, members, sc.zone, sc.note, ctx)
                if ev is not None:
                    out.append(ev)
    return out
