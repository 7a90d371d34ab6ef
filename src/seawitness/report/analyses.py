"""The statistics of a report: what was measured, censored summaries, the before/after
comparison with the pre-discharge baseline, dose, and split-sample scores.

Each function is a thin, deterministic arrangement of the library's own methods
(:mod:`seawitness.analysis`): Kaplan--Meier summaries of left-censored results (Helsel
2012, ch. 6), the Peto--Prentice test and regional Kendall trend of
:mod:`seawitness.analysis.baseline`, ICRP 72 ingestion dose of
:mod:`seawitness.analysis.dose`, ISO 13528 scores of :mod:`seawitness.analysis.splits`.
A method that refuses the data (too many non-detects, too few results) gives its reason,
which the report prints instead of a number.
"""

from __future__ import annotations

import warnings
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from seawitness.analysis import baseline as bl
from seawitness.analysis import censored as cen
from seawitness.analysis import dose as ds
from seawitness.analysis import splits as sp
from seawitness.analysis import trends as tr
from seawitness.analysis.limits import LowConfidenceWarning
from seawitness.harmonize.units import ConversionError, conversion_factor
from seawitness.model import Measurement
from seawitness.model.records import Basis, Detection

__all__ = ["before_after", "censored_table", "dose", "measured", "split_scores"]

#: Foods of the dose section (rules/dose/diets.toml has rates for these).
FOODS = ("fish", "shellfish", "seaweed")
#: At most this many (medium, nuclide) series get a before/after comparison.
MAX_BASELINE_SERIES = 4
#: Largest series a station's censored trend test runs on whole (see :func:`_trend`).
MAX_TREND_RESULTS = 400


def measured(
    rows: Sequence[Mapping[str, Any]],
    stakeholders: Mapping[str, Mapping[str, Any]],
    operator: str | None,
) -> dict[str, Any]:
    """Counts of results by medium, species, nuclide and lab; who is independent.

    ``rows`` are index rows (:meth:`seawitness.store.store.Store.measurements`). A result
    is the operator's when its lab (or, naming none, its organisation) is the region's
    operator or a stakeholder the registry lists with kind ``operator``; every other
    result is independent of the operator.
    """
    operators = {sid for sid, h in stakeholders.items() if h.get("kind") == "operator"}
    if operator:
        operators.add(operator)
    labs = Counter(r["lab"] or r["org"] for r in rows)
    samples = {
        (r["org"], r["sample_id"] or "", r["station"], r["sampled_at"], r["medium"]) for r in rows
    }
    species = Counter((r["medium"], r["species"]) for r in rows if r["species"])
    return {
        "n_results": len(rows),
        "n_samples": len(samples),
        "n_detected": sum(1 for r in rows if r["detection"] in ("=", "DE")),
        "by_medium": sorted(Counter(r["medium"] for r in rows).items()),
        "by_nuclide": sorted(Counter(r["nuclide"] for r in rows).items()),
        "by_species": sorted(species.items(), key=lambda kv: (-kv[1], kv[0]))[:15],
        "n_species": len(species),
        "by_lab": [
            {
                "lab": lab,
                "n": n,
                "operator": lab in operators,
                "registered": lab in stakeholders,
                "kind": stakeholders.get(lab, {}).get("kind"),
            }
            for lab, n in sorted(labs.items())
        ],
        "independent": sum(n for lab, n in labs.items() if lab not in operators),
        "operators": sorted(operators),
    }


def _observations(ms: Sequence[Measurement]) -> tuple[list[bl.Observation], str] | str:
    try:
        obs, unit, _, _, _ = bl.observations(ms)
    except bl.BaselineError as exc:
        return str(exc)
    return obs, unit


def censored_table(ms: Sequence[Measurement]) -> list[dict[str, Any]]:
    """Kaplan--Meier summary per (medium, nuclide), or the reason there is none."""
    groups: dict[tuple[str, str], list[Measurement]] = defaultdict(list)
    for m in ms:
        groups[(m.medium.value, m.nuclide)].append(m)
    out = []
    for (medium, nuclide), group in sorted(groups.items()):
        got = _observations(group)
        row: dict[str, Any] = {
            "medium": medium,
            "nuclide": nuclide,
            "n_results": len(group),
            "n_detected": 0,
            "unit": None,
            "max_detected": None,
            "limit_median": None,
            "mean": None,
            "median": None,
            "p95": None,
            "percent_censored": None,
        }
        if isinstance(got, str):
            out.append({**row, "n": 0, "refusal": got})
            continue
        obs, unit = got
        det = [o.value for o in obs if not o.censored]
        row.update(n=len(obs), n_detected=len(det), unit=unit)
        row["max_detected"] = max(det) if det else None
        row["limit_median"] = _median([o.value for o in obs if o.censored])
        try:
            s = cen.summarize([o.value for o in obs], [o.censored for o in obs], "km")
        except cen.CensoredDataError as exc:
            out.append({**row, "refusal": str(exc)})
            continue
        row.update(
            mean=s.mean,
            median=s.median,
            p95=s.percentiles.get(95.0),
            percent_censored=s.percent_censored,
            refusal=None,
        )
        out.append(row)
    return out


def _median(xs: list[float]) -> float | None:
    if not xs:
        return None
    ys = sorted(xs)
    mid = len(ys) // 2
    return ys[mid] if len(ys) % 2 else (ys[mid - 1] + ys[mid]) / 2


def before_after(
    everything: Sequence[Measurement],
    series: Sequence[tuple[str, str]],
    *,
    until: datetime | None,
) -> list[dict[str, Any]]:
    """Before/after the discharge start for each (medium, nuclide), pooled over the
    region's stations, with the regional Kendall trend after it (Helsel & Frans 2006).

    ``everything`` is the region's results of all time: the baseline is the results of
    2020-01-01 to the discharge start whatever period the report covers.
    """
    out = []
    for medium, nuclide in series[:MAX_BASELINE_SERIES]:
        ms = [m for m in everything if m.medium.value == medium and m.nuclide == nuclide]
        head: dict[str, Any] = {"medium": medium, "nuclide": nuclide}
        try:
            pooled = bl.compare_before_after(ms, trend=False, until=until, scope="region")
        except bl.BaselineError as exc:
            out.append({**head, "refusal": str(exc)})
            continue
        by_station: dict[str, list[Measurement]] = defaultdict(list)
        for m in ms:
            if m.sampled_at >= bl.DISCHARGE_START:
                by_station[m.station].append(m)
        trends = [r for code in sorted(by_station) if (r := _trend(by_station[code])) is not None]
        d = pooled.as_dict()
        trend: dict[str, Any] | None = None
        if trends:
            r = bl.regional_trend(trends)
            trend = {
                "p": r.p,
                "tau": r.tau,
                "slope": r.sen_slope,
                "n": r.n,
                "stations": len(trends),
                "max_results": MAX_TREND_RESULTS,
            }
        out.append(
            {
                **head,
                "unit": d["unit"],
                "before": d["before"],
                "after": d["after"],
                "test": d["test"],
                "test_refusal": d["test_refusal"],
                "shift": d["shift"],
                "direction": d["direction"],
                "trend": trend,
                "notes": d["notes"],
                "refusal": None,
            }
        )
    return out


def _trend(ms: Sequence[Measurement]) -> tr.TrendResult | None:
    """A station's trend after the discharge start: Mann--Kendall with the Theil--Sen
    slope when every result is detected, else the Akritas--Theil--Sen line (Helsel 2012,
    ch. 12), as :mod:`seawitness.analysis.baseline` tests one station.

    The censored test costs O(n^2) per slope it tries, so a station with more than
    :data:`MAX_TREND_RESULTS` results is tested on every k-th of them in time order, a
    systematic subsample that keeps the trend's sign and slope unbiased and costs power;
    None when there are fewer than 3 results or 2 detects.
    """
    got = _observations(ms)
    if isinstance(got, str):
        return None
    obs, _ = got
    if len(obs) > MAX_TREND_RESULTS:
        step = -(-len(obs) // MAX_TREND_RESULTS)
        obs = obs[::step]
    if len(obs) < 3 or sum(not o.censored for o in obs) < 2:
        return None
    t = tr.to_decimal_years([o.time for o in obs])
    y = [o.value for o in obs]
    c = [o.censored for o in obs]
    try:
        return tr.akritas_theil_sen(y, c, t) if any(c) else tr.mann_kendall(y, t)
    except tr.TrendInputError:
        return None


def _mean_upper(ms: Sequence[Measurement]) -> tuple[float, int] | None:
    """Mean concentration [Bq/kg wet] with non-detects at their detection limits (an
    upper bound of the mean), and how many results entered; None if none convert."""
    vals = []
    for m in ms:
        v = m.value if m.detection is not Detection.NOT_DETECTED else None
        if v is None:
            continue
        try:
            f = conversion_factor(
                m.unit, "Bq/kg", nuclide=m.nuclide, basis=m.basis, to_basis=Basis.WET
            )
        except ConversionError:
            continue
        vals.append(v * f)
    return (sum(vals) / len(vals), len(vals)) if vals else None


def dose(ms: Sequence[Measurement], diet: str) -> dict[str, Any]:
    """Annual ingestion dose of a consumer eating the region's seafood at ``diet``.

    Concentrations are the mean of the period's results per food and nuclide, with
    non-detects at their detection limits: an upper bound of the mean, so the dose is an
    upper bound too. Nuclides without an ICRP 72 coefficient in the data are left out
    and listed.
    """
    foods: dict[str, dict[str, float]] = {}
    used: dict[str, int] = {}
    missing: set[str] = set()
    coefficients = {c.nuclide for c in ds.list_dose_coefficients()}
    groups: dict[tuple[str, str], list[Measurement]] = defaultdict(list)
    for m in ms:
        if m.medium.value in FOODS:
            groups[(m.medium.value, m.nuclide)].append(m)
    for (food, nuclide), group in sorted(groups.items()):
        if nuclide not in coefficients:
            missing.add(nuclide)
            continue
        got = _mean_upper(group)
        if got is not None:
            foods.setdefault(food, {})[nuclide] = got[0]
            used[f"{food}/{nuclide}"] = got[1]
    if not foods:
        return {"diet": diet, "refusal": "no seafood results with a dose coefficient"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LowConfidenceWarning)
        try:
            a = ds.assess_dose(diet=diet, **foods)  # type: ignore[arg-type]
        except ds.DoseError as exc:
            return {"diet": diet, "refusal": str(exc)}
        d = ds.load_diet(diet)
    out = a.to_dict()
    out.update(
        diet_title=d.title,
        diet_source=d.source,
        diet_confidence=d.confidence,
        diet_low_confidence=d.low_confidence,
        n_used=used,
        without_coefficient=sorted(missing),
        refusal=None,
    )
    return out


def split_scores(ms: Sequence[Measurement]) -> list[dict[str, Any]]:
    """ISO 13528 scores of the split samples among the results (same sample id, two or
    more laboratories); empty when there are none."""
    try:
        samples = sp.find_splits(m for m in ms if m.sample_id)
    except sp.SplitError as exc:
        return [{"refusal": str(exc)}]
    return [s.as_dict() for s in sp.score_splits(samples)]
