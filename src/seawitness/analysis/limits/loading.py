"""Reading rule-set files (TOML) into :class:`~seawitness.analysis.limits.schema.RuleSet`.

Every field is validated explicitly and a bad one raises :class:`RuleSetError` naming
the file, the rule (by position) and the field, so a jurisdiction that publishes its own
rule file learns exactly what to fix.
"""

from __future__ import annotations

import math
import tomllib
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from seawitness.analysis.limits.schema import (
    RULES_DIR,
    RULESET_SCHEMA,
    Component,
    LowConfidenceWarning,
    NDPolicy,
    Rule,
    RuleSet,
    RuleSetError,
)
from seawitness.harmonize.units import ConversionError, parse_unit
from seawitness.model.nuclides import normalize_nuclide
from seawitness.model.records import Basis, Medium

__all__ = ["list_rule_sets", "load_rules"]

_AGGREGATIONS = ("single", "sum", "sum_of_ratios", "annual_sum")


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


def _unit(d: Mapping[str, Any], where: str, *, check: bool = True) -> str:
    unit = _req(d, "unit", where, str)
    if check:
        try:
            parse_unit(unit)
        except ConversionError as exc:
            raise RuleSetError(f"{where}.unit: {exc}") from None
    return unit


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
        rule = _parse_rule(r, f"{where}: rules[{i}]", rs_id, nd_default)
        if rule.id in seen:
            raise RuleSetError(f"{where}: rules[{i}].id: duplicate rule id {rule.id!r}")
        seen.add(rule.id)
        rules.append(rule)
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


def _parse_components(r: Mapping[str, Any], rw: str) -> tuple[Component, ...]:
    out: list[Component] = []
    for j, c in enumerate(r.get("components", [])):
        cw = f"{rw}.components[{j}]"
        unit = _unit(c, cw)
        out.append(
            Component(
                nuclide=_canonical_nuclide(_req(c, "nuclide", cw, str), cw),
                limit=_number(c, "limit", cw),
                unit=unit,
                source=_req(c, "source", cw, str),
                confidence=_req(c, "confidence", cw, str),
            )
        )
    return tuple(out)


def _parse_rule(r: Mapping[str, Any], rw: str, rs_id: str, nd_default: NDPolicy) -> Rule:
    rid = f"{rs_id}/{_req(r, 'id', rw, str)}"
    try:
        media = frozenset(Medium(x) for x in _req(r, "media", rw, list))
    except ValueError as exc:
        raise RuleSetError(f"{rw}.media: {exc}") from None
    zones = r.get("zones")
    aggregation = _req(r, "aggregation", rw, str)
    if aggregation not in _AGGREGATIONS:
        raise RuleSetError(f"{rw}.aggregation: unknown aggregation {aggregation!r}")
    unit = _unit(r, rw, check=aggregation in ("single", "sum"))
    nuclides = tuple(_canonical_nuclide(n, f"{rw}.nuclides") for n in r.get("nuclides", []))
    components = _parse_components(r, rw)
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
    return Rule(
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
        components=components,
    )
