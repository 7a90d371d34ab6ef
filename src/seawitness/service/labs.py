"""Lab against lab: organisations that measure the same place at (nearly) the same time.

Two organisations' results are *paired* when their stations are one place (same code,
or positions within :data:`~seawitness.service.views.COLOCATED_KM`), the medium, nuclide
(tritium by form), harmonized unit and depth class agree, and the sampling times are at
most ``window_days`` apart; each result is paired at most once, nearest in time first.
These are not split samples (two bottles of one water): the sea changes between two
samplings, so a difference mixes the labs' bias with the sea's own variation, which is
why the page states the window.

For pairs of detected results the difference is scored as in ISO 13528:2022 9.6/9.7
with the other organisation in the place of the assigned value (as
:mod:`seawitness.analysis.splits` does for two laboratories):

* ``zeta = (x1 - x2) / sqrt(u1^2 + u2^2)`` with standard uncertainties;
* ``En = (x1 - x2) / sqrt(U1^2 + U2^2)`` with expanded uncertainties; a result whose
  coverage factor is not stated (ORBS: "± as published; coverage not stated") is taken
  as a standard uncertainty and expanded with k = 2, and the pair says so.

Results with no reported uncertainty get the difference only. The split-sample
comparison proper (one sample id, several labs) is
:func:`seawitness.analysis.splits.split_samples`, shown beside the pairs.
"""

from __future__ import annotations

import math
import sys
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterator
from itertools import combinations
from typing import Any

from seawitness.analysis import ilc
from seawitness.analysis.splits import score_splits, split_samples
from seawitness.errors import InputError
from seawitness.service.params import BadParameter
from seawitness.service.readmodel import Service, form_of, iso, unit_of
from seawitness.service.views import places
from seawitness.store.store import Query

__all__ = ["DEFAULT_WINDOW_DAYS", "K_DEFAULT", "MAX_WINDOW_DAYS", "lab_pairs"]

DEFAULT_WINDOW_DAYS = 1.0
MAX_WINDOW_DAYS = 14.0
#: Coverage factor for expanding an uncertainty whose coverage the source does not state.
K_DEFAULT = 2.0
_DETECTED = ("=", "DE")


def _u(r: dict[str, Any]) -> tuple[float | None, float | None, bool]:
    """(standard u, expanded U, coverage assumed) of a row, None where not reported."""
    unc = r.get("uncertainty")
    if unc is None or not math.isfinite(unc) or unc <= 0:
        return None, None, False
    k = r.get("coverage_factor")
    if k:
        return unc / k, unc, False
    return unc, K_DEFAULT * unc, True


def _pair(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    both = a["detection"] in _DETECTED and b["detection"] in _DETECTED
    out: dict[str, Any] = {
        "a": _side(a),
        "b": _side(b),
        "hours_apart": abs((a["sampled_at"] - b["sampled_at"]).total_seconds()) / 3600,
        "both_detected": both,
        "difference": None,
        "zeta": None,
        "En": None,
        "zeta_class": None,
        "En_class": None,
        "coverage_assumed": False,
    }
    if not both:
        return out
    xa, xb = float(a["value"]), float(b["value"])
    out["difference"] = xa - xb
    (ua, big_ua, ka), (ub, big_ub, kb) = _u(a), _u(b)
    if ua is not None and ub is not None and big_ua is not None and big_ub is not None:
        zeta = ilc.zeta_score(xa, xb, ua, ub)
        en = ilc.en_score(xa, xb, big_ua, big_ub)
        out.update(
            zeta=zeta,
            En=en,
            zeta_class=ilc.classify_z(zeta),
            En_class=ilc.classify_en(en),
            coverage_assumed=ka or kb,
        )
    return out


def _side(r: dict[str, Any]) -> dict[str, Any]:
    return {
        "org": r["org"],
        "station": r["station"],
        "leaf_index": r["leaf_index"],
        "sampled_at": iso(r["sampled_at"]),
        "detection": r["detection"],
        "value": r["value"],
        "uncertainty": r.get("uncertainty"),
        "coverage_factor": r.get("coverage_factor"),
    }


#: Results of the other organisation offered to each result, on each side of it in time.
NEAREST = 8

#: What a pair reads of a result.
_PAIR_FIELDS = ("leaf_index", "sampled_at", "value", "uncertainty", "coverage_factor")
_PAIR_NAMES = (
    "org",
    "station",
    "detection",
    "medium",
    "nuclide",
    "nuclide_form",
    "unit",
    "harmonized_unit",
    "depth_class",
)


def _pair_rows(svc: Service, org: str, code: str) -> Iterator[dict[str, Any]]:
    """A station's current results, oldest first, with only what a pair reads and its
    names shared between rows: a place's whole index rows held in memory took 2.9 GB
    at a million results (one synthetic station holds a tenth of them)."""
    for batch in svc.store.measurement_batches(Query(station=code, org=org)):
        for r in batch:
            out = {k: r.get(k) for k in _PAIR_FIELDS}
            for k in _PAIR_NAMES:
                v = r.get(k)
                out[k] = sys.intern(v) if isinstance(v, str) else v
            yield out


def _match(
    ra: list[dict[str, Any]], rb: list[dict[str, Any]], window_s: float
) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """One-to-one pairs within the window, nearest in time first (greedy); both lists in
    time order.

    Each result of ``ra`` is offered the :data:`NEAREST` results of ``rb`` on each side
    of it within the window. While a window holds no more than that (weekly or monthly
    sampling, as in the bundled data) the pairs are those of offering every result in
    it; where windows hold many (a dense series), memory grows with the results rather
    than with the pairs of results: every candidate of ten million synthetic results
    took 20 GB.
    """
    tb = [r["sampled_at"].timestamp() for r in rb]
    cands = []
    for i, a in enumerate(ra):
        ta = a["sampled_at"].timestamp()
        k = bisect_left(tb, ta)
        lo = max(bisect_left(tb, ta - window_s), k - NEAREST)
        hi = min(bisect_right(tb, ta + window_s), k + NEAREST)
        cands += [(abs(tb[j] - ta), i, j) for j in range(lo, hi)]
    used_a: set[int] = set()
    used_b: set[int] = set()
    out = []
    for _, i, j in sorted(cands):
        if i in used_a or j in used_b:
            continue
        used_a.add(i)
        used_b.add(j)
        out.append((ra[i], rb[j]))
    return sorted(out, key=lambda p: p[0]["sampled_at"])


def lab_pairs(svc: Service, window_days: float = DEFAULT_WINDOW_DAYS) -> dict[str, Any]:
    """Pairs of results of different organisations at one place within ``window_days``.

    :returns: ``{"window_days", "places": [...], "n_pairs", "n_detected_pairs",
        "n_scored", "splits": {...}}``; each place lists its series (organisations,
        nuclide, medium, unit, depth class) with their pairs.
    """
    if not (math.isfinite(window_days) and 0 < window_days <= MAX_WINDOW_DAYS):
        raise BadParameter("window", f"must be a number of days in (0, {MAX_WINDOW_DAYS:g}]")

    def compute() -> dict[str, Any]:
        window_s = window_days * 86400
        out_places = []
        totals = {"n_pairs": 0, "n_detected_pairs": 0, "n_scored": 0}
        for group in places(svc.stations()):
            if len({st["org"] for st in group}) < 2:
                continue
            by_key: dict[tuple[str, str, str, str, str], list[dict[str, Any]]] = defaultdict(list)
            for st in group:
                for r in _pair_rows(svc, st["org"], st["code"]):
                    key = (
                        r["org"],
                        r["medium"],
                        form_of(r),
                        unit_of(r),
                        r.get("depth_class") or "",
                    )
                    by_key[key].append(r)
            series = []
            orgs = sorted({k[0] for k in by_key})
            for oa, ob in combinations(orgs, 2):
                for (org, med, nuc, unit, depth), ra in sorted(by_key.items()):
                    if org != oa:
                        continue
                    rb = by_key.get((ob, med, nuc, unit, depth))
                    if not rb:
                        continue
                    pairs = [_pair(a, b) for a, b in _match(ra, rb, window_s)]
                    if not pairs:
                        continue
                    det = [p for p in pairs if p["both_detected"]]
                    scored = [p for p in det if p["zeta"] is not None]
                    totals["n_pairs"] += len(pairs)
                    totals["n_detected_pairs"] += len(det)
                    totals["n_scored"] += len(scored)
                    series.append(
                        {
                            "orgs": [oa, ob],
                            "stations": [ra[0]["station"], rb[0]["station"]],
                            "medium": med,
                            "nuclide": nuc,
                            "unit": unit,
                            "depth_class": depth or None,
                            "n_pairs": len(pairs),
                            "n_detected": len(det),
                            "n_scored": len(scored),
                            "n_zeta_over_3": sum(1 for p in scored if abs(p["zeta"]) > 3),
                            "pairs": pairs,
                        }
                    )
            if series:
                out_places.append(
                    {
                        "lat": group[0]["lat"],
                        "lon": group[0]["lon"],
                        "stations": [(st["org"], st["code"]) for st in group],
                        "series": series,
                    }
                )
        return {
            "window_days": window_days,
            "k_default": K_DEFAULT,
            "places": out_places,
            **totals,
            "splits": _splits(svc),
        }

    return svc.cached(("lab_pairs", window_days), compute)


def _splits(svc: Service) -> dict[str, Any]:
    """The split-sample comparison (results sharing a sample id across labs)."""
    samples = split_samples(svc.store)
    scored = []
    refused = 0
    for smp in samples:
        try:
            sc = score_splits([smp])
        except InputError:
            refused += 1
            continue
        scored += [x.as_dict() for x in sc]
    return {"n_samples": len(samples), "scores": scored, "refused": refused}
