"""The questions the dashboard's data views ask: status per place, food, before/after.

Each answer is computed from the index rows (no trip to the log entries: a limits
evaluation reads only indexed columns, see :func:`seawitness.store.records.
measurement_from_index`), with the harmonized tritium form and unit of
:mod:`seawitness.model.harmonized`, and is cached per tree size.

* :func:`station_status` -- each *place* (stations of several organisations at one
  position are one place) with its latest result per nuclide and the worst class of
  those results against a chosen rule set: what the map colours.
* :func:`food_view` -- every current biota result of an area against a food rule set:
  counts per class and the results nearest to or above a limit, with uncertainty.
* :func:`before_after` -- a station series' pre-discharge range and the baseline
  comparison and post-discharge trend of :mod:`seawitness.analysis.baseline`.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, select

from seawitness.analysis.baseline import BaselineError, compare_before_after
from seawitness.analysis.limits import Classification, Evaluation, evaluate_all
from seawitness.errors import InputError
from seawitness.harmonize.units import ConversionError, conversion_factor
from seawitness.model import Measurement
from seawitness.model.zones import EARTH_RADIUS_KM
from seawitness.service.params import BadParameter
from seawitness.service.readmodel import DISCHARGE_START, Service, form_of, iso, unit_of
from seawitness.store import schema as s
from seawitness.store.records import measurement_from_index
from seawitness.store.store import as_utc

__all__ = [
    "BIOTA",
    "CLASS_ORDER",
    "COLOCATED_KM",
    "WINDOWS",
    "before_after",
    "distance_km",
    "food_levels",
    "food_view",
    "places",
    "station_status",
    "window_start",
]

#: Worst first: the class a place shows is the first of these among its latest results.
CLASS_ORDER: tuple[str, ...] = (
    Classification.EXCEEDS.value,
    Classification.MAY_EXCEED.value,
    Classification.INCONCLUSIVE.value,
    Classification.BELOW.value,
    Classification.NOT_APPLICABLE.value,
)
#: Media a food rule set applies to.
BIOTA: tuple[str, ...] = ("fish", "shellfish", "seaweed", "biota")
#: Stations of different organisations this close are drawn as one place [km]. The
#: shared points (T-D5 of NRA and TEPCO) are written with the same coordinates to
#: 1e-5 degree; 0.2 km keeps two distinct TEPCO points 0.5 km apart separate.
COLOCATED_KM = 0.2
#: The time windows of the charts: all results, since the discharge began, last 12 months.
WINDOWS: tuple[str, ...] = ("all", "since-discharge", "12m")


def window_start(window: str, now: datetime) -> datetime | None:
    """The first instant a time window shows (None for ``all``)."""
    if window == "all":
        return None
    if window == "since-discharge":
        return DISCHARGE_START
    if window == "12m":
        return now - timedelta(days=365)
    raise BadParameter("window", f"{window!r} is not a window; one of {', '.join(WINDOWS)}")


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine) [km] between two WGS 84 positions [deg]."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, a)))


def places(stations: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Stations with known positions grouped into places (within :data:`COLOCATED_KM`)."""
    groups: list[list[dict[str, Any]]] = []
    for st in sorted(stations, key=lambda x: (x["org"], x["code"])):
        if not st["coords_known"]:
            continue
        for g in groups:
            g0 = g[0]
            if distance_km(st["lat"], st["lon"], g0["lat"], g0["lon"]) <= COLOCATED_KM:
                g.append(st)
                break
        else:
            groups.append([st])
    return groups


def _as_form(r: dict[str, Any]) -> Measurement:
    """An index row as a Measurement, tritium by its harmonized form (so that a plain
    ``H-3`` per litre of combustion water meets the OBT rules)."""
    m = measurement_from_index(r)
    form = form_of(r)
    return m if form == m.nuclide else replace(m, nuclide=form)


def _worst(classes: list[str]) -> str | None:
    for c in CLASS_ORDER:
        if c in classes:
            return c
    return None


def _latest_rows(svc: Service) -> list[dict[str, Any]]:
    """The newest current result of every (org, station, medium, nuclide form), with the
    other results of the same sampling (so a sum like Cs-134 + Cs-137 has both parts)."""
    m = s.measurements
    cur = m.join(s.heads, s.heads.c.leaf_index == m.c.leaf_index)
    newest = (
        select(
            m.c.org,
            m.c.station,
            m.c.medium,
            func.coalesce(m.c.nuclide_form, m.c.nuclide).label("form"),
            func.max(m.c.sampled_at).label("last"),
        )
        .select_from(cur)
        .where(m.c.retracted.is_(False))
        .group_by(m.c.org, m.c.station, m.c.medium, func.coalesce(m.c.nuclide_form, m.c.nuclide))
        .subquery()
    )
    stmt = (
        select(m)
        .select_from(cur)
        .join(
            newest,
            and_(
                newest.c.org == m.c.org,
                newest.c.station == m.c.station,
                newest.c.medium == m.c.medium,
                newest.c.last == m.c.sampled_at,
            ),
        )
        .where(m.c.retracted.is_(False))
        .order_by(m.c.org, m.c.station, m.c.sampled_at, m.c.leaf_index)
    )
    with svc.store.engine.connect() as c:
        rows = [dict(r) for r in c.execute(stmt).mappings()]
    for r in rows:
        r["sampled_at"] = as_utc(r["sampled_at"])
    return rows


def station_status(svc: Service, rule_set: str) -> dict[str, Any]:
    """Per place: its stations, their latest results and the worst class against ``rule_set``.

    :returns: ``{"rule_set", "title", "classes": {class: n places}, "places": [...]}``;
        each place has ``lat``, ``lon``, ``status`` (a class of :data:`CLASS_ORDER`, or
        None when no rule of the set applies to its latest results), ``stations`` (each
        with ``latest``: one row per medium and nuclide form, with the classes of its
        evaluations) and ``approximate`` when a position is flagged approximate.
    """
    rs = svc.rule_set(rule_set)

    def compute() -> dict[str, Any]:
        rows = _latest_rows(svc)
        ms = [_as_form(r) for r in rows]
        evs = evaluate_all(ms, rs, zones=svc.zones())
        by_id: dict[str, list[Evaluation]] = defaultdict(list)
        for e in evs:
            for m in e.inputs:
                by_id[m.id].append(e)
        latest: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        for r, m in zip(rows, ms, strict=True):
            es = by_id.get(m.id, [])
            latest[(r["org"], r["station"])].append(
                {
                    "leaf_index": r["leaf_index"],
                    "medium": r["medium"],
                    "nuclide": m.nuclide,
                    "sampled_at": iso(r["sampled_at"]),
                    "detection": r["detection"],
                    "value": r["value"],
                    "uncertainty": r["uncertainty"],
                    "unit": unit_of(r),
                    "species": r["species"],
                    "classes": sorted({e.classification.value for e in es}),
                    "worst": _worst([e.classification.value for e in es]),
                    "limits": sorted({(e.level, e.limit, e.unit) for e in es}),
                }
            )
        out = []
        counts = {c: 0 for c in (*CLASS_ORDER, "none")}
        for group in places(svc.stations()):
            sts = []
            for st in group:
                rows_st = latest.get((st["org"], st["code"]), [])
                # one row per (medium, form): the newest sampling may hold several
                seen: dict[tuple[str, str], dict[str, Any]] = {}
                for x in rows_st:
                    seen[(x["medium"], x["nuclide"])] = x
                sts.append({**st, "latest": sorted(seen.values(), key=lambda x: x["nuclide"])})
            status = _worst([x["worst"] for st in sts for x in st["latest"] if x["worst"]])
            counts[status or "none"] += 1
            out.append(
                {
                    "lat": group[0]["lat"],
                    "lon": group[0]["lon"],
                    "zone": group[0]["zone"],
                    "status": status,
                    "stations": sts,
                    "orgs": sorted({st["org"] for st in group}),
                    "approximate": any(
                        "approximate" in (st.get("source") or "").lower() for st in group
                    ),
                }
            )
        return {"rule_set": rs.id, "title": rs.title, "classes": counts, "places": out}

    return svc.cached(("station_status", rs.id), compute)


def food_view(
    svc: Service, rule_set: str, *, zone: str | None = None, top: int = 20
) -> dict[str, Any]:
    """Current biota results of an area against a food rule set.

    :param rule_set: a bundled rule set with food rules (``jp-mhlw``, ``cn-gb14882``,
        ``kr-mfds``, ``codex``, ``eu-2016-52``).
    :param zone: a zone of the station table (``outlet-3km``, ``square-10km``,
        ``offshore``) or None for every biota result.
    :returns: counts of *results* per class (a result counts once, in the worst class of
        the rules that apply to it), counts of evaluations per rule, and the ``top``
        results with the highest ratio to a limit, each with its uncertainty and leaf.
    """
    rs = svc.rule_set(rule_set)
    zones = svc.zones()
    if zone is not None and zone not in set(zones.values()):
        raise BadParameter(
            "zone", f"{zone!r} is not a zone; one of {', '.join(sorted(set(zones.values())))}"
        )

    def compute() -> dict[str, Any]:
        per_rule: dict[str, dict[str, int]] = {}
        counts = {c: 0 for c in (*CLASS_ORDER, "none")}
        ranked: list[tuple[Evaluation, dict[str, Any], list[int]]] = []  # the top so far
        n_results = 0

        def keep(r: dict[str, Any]) -> bool:
            return zone is None or zones.get(r["station"]) == zone

        # a batch of whole samples at a time: memory bounded by the batch, not the table
        for rows, ms, evs in svc.evaluated(rs, list(BIOTA), keep, _as_form):
            n_results += len(ms)
            row_of = {m.id: r for r, m in zip(rows, ms, strict=True)}
            worst_of: dict[str, list[str]] = defaultdict(list)
            for e in evs:
                for m in e.inputs:
                    worst_of[m.id].append(e.classification.value)
                per_rule.setdefault(e.rule_id, {c: 0 for c in CLASS_ORDER})
                per_rule[e.rule_id][e.classification.value] += 1
            for m in ms:
                counts[_worst(worst_of.get(m.id, [])) or "none"] += 1
            ranked += [
                (e, row_of[e.inputs[0].id], [row_of[m.id]["leaf_index"] for m in e.inputs])
                for e in evs
                if e.ratio is not None
            ]
            ranked = sorted(ranked, key=lambda x: -(x[0].ratio or 0))[:top]
        worst = [
            {
                **e.to_dict(),
                "leaf_index": r["leaf_index"],
                "leaves": leaves,
                "org": r["org"],
                "station": r["station"],
                "species": r["species"],
                "medium": r["medium"],
                "sampled_at": iso(r["sampled_at"]),
            }
            for e, r, leaves in ranked
        ]
        rules = [
            {
                "rule_id": ru.id,
                "title": ru.title,
                "limit": ru.limit,
                "unit": ru.unit,
                "nuclides": list(ru.nuclides),
                "confidence": ru.confidence,
                "low_confidence": ru.low_confidence,
                "source": ru.source,
                "counts": per_rule.get(ru.id, {c: 0 for c in CLASS_ORDER}),
            }
            for ru in rs.rules
            if ru.evaluated and any(m.value in BIOTA for m in ru.media)
        ]
        return {
            "rule_set": rs.id,
            "title": rs.title,
            "tritium_form": rs.tritium_form,
            "zone": zone,
            "results": n_results,
            "counts": counts,
            "rules": rules,
            "worst": worst,
            "low_confidence_numbers": rs.low_confidence_numbers(),
        }

    return svc.cached(("food_view", rs.id, zone, top), compute)


def before_after(
    svc: Service, org: str, code: str, nuclide: str, medium: str, unit: str
) -> dict[str, Any] | None:
    """Baseline comparison of one station series (one harmonized unit), or None when the
    series has no result before or after the discharge start.

    The pre-discharge *range* drawn on charts is the detected range (or, with no
    detection, the range of detection limits) of the baseline period that
    :func:`~seawitness.analysis.baseline.compare_before_after` uses (from
    ``baseline_since`` to the discharge start), so the band and the test read the same
    results.
    """

    def compute() -> dict[str, Any] | None:
        rows = [
            r
            for r in svc.station_results(org, code)
            if form_of(r) == nuclide and r["medium"] == medium and unit_of(r) == unit
        ]
        if not rows:
            return None
        try:
            ba = compare_before_after([_as_form(r) for r in rows], scope=f"{code} ({org})")
        except InputError:  # units that cannot share a scale: no comparison to show
            return None
        if ba.before.n == 0 or ba.after.n == 0:
            return None
        d = ba.as_dict()
        b = ba.before
        if b.n_detected:
            band = {"low": b.detected_min, "high": b.detected_max, "kind": "detected"}
        else:
            band = {"low": b.limit_min, "high": b.limit_max, "kind": "limits"}
        d["band"] = {**band, "since": iso(ba.baseline_since), "until": iso(ba.discharge_start)}
        return d

    try:
        return svc.cached(("before_after", org, code, nuclide, medium, unit), compute)
    except BaselineError:
        return None


def food_levels(
    svc: Service, rule_set: str, nuclide: str, medium: str, unit: str, basis: str
) -> list[dict[str, Any]]:
    """The limits of a food rule set that bear on one nuclide in one medium, in ``unit``.

    A single-nuclide rule gives its limit; a sum (``Cs-134 + Cs-137 <= 100 Bq/kg``) gives
    the sum's limit, which one term alone can only reach when the others are zero, and
    says so (``part_of``); a sum of ratios gives the nuclide's own term limit. Each keeps
    its source and confidence grade so a LOW number is shown as LOW.
    """
    rs = svc.rule_set(rule_set)
    out = []
    for rule in rs.rules:
        if not rule.evaluated or medium not in {m.value for m in rule.media}:
            continue
        if rule.aggregation == "sum_of_ratios":
            comps = [c for c in rule.components if c.nuclide == nuclide]
            if not comps:
                continue
            c = comps[0]
            limit, from_unit, conf, src = c.limit, c.unit, c.confidence, c.source
            low = c.low_confidence
            part_of: str | None = "+".join(rule.all_nuclides)
        elif nuclide in rule.nuclides:
            limit, from_unit, conf, src = rule.limit, rule.unit, rule.confidence, rule.source
            low = rule.low_confidence
            part_of = "+".join(rule.nuclides) if len(rule.nuclides) > 1 else None
        else:
            continue
        try:
            f = conversion_factor(
                from_unit, unit, nuclide=nuclide, basis=rule.basis, to_basis=basis
            )
        except ConversionError:
            continue
        out.append(
            {
                "rule_id": rule.id,
                "level": "limit",
                "title": rule.title,
                "limit": limit * f,
                "unit": unit,
                "part_of": part_of,
                "source": src,
                "confidence": conf,
                "low_confidence": low,
            }
        )
    return sorted(out, key=lambda d: d["limit"])
